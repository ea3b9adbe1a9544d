// Plain Node resolves wgsl_reflect only through its module file; Vite resolves both paths.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
