// The flat grid (`//!include lib/grid.wgsl`): a 1-D launch of G workgroups that the recorder may
// split over x and y (splitGrid in src/gpu/recorder.ts, past maxComputeWorkgroupsPerDimension),
// so workgroup g = wid.x + wid.y · nwg.x. The including file declares `override WG`, used here.
// No bindings; pure functions.

// Element of invocation lid of workgroup (wid) when each invocation takes one element.
fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * WG + lid;
}
