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
export {
  LoraAdapter,
  attachLora,
  checkLoraConfig,
  isTarget,
  matchTargets,
  loraShapes,
  mergeLora,
  type LoraConfig,
  type LoraModule,
  type LoraShape,
} from './lora';
export { loraToPeft, loraFromPeft, peftAdapterConfig, loraConfigOfPeft, type PeftConfigOptions } from './lora_peft';
export * as init from './init';
