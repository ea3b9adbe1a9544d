// The layers and initializers (src/index.ts exports them as `nn`; initializers as `nn.init`).
export {
  Linear,
  Embedding,
  LayerNorm,
  Dropout,
  Mlp,
  MultiHeadAttention,
  TransformerBlock,
  activation,
  type LinearOptions,
  type MlpOptions,
  type AttentionOptions,
  type BlockOptions,
} from './layers';
export * as init from './init';
