/**
 * Tracemark's forensic watermark (wm-v1): a blind, keyed, 64-bit mark in luminance that survives re-encoding,
 * resizing, cropping, rotation and screenshots. Pure functions over pixels plus file helpers; see README.md.
 */
export { WATERMARK_ALGO, generateWatermarkKey, writeWatermarkKeyFile, readWatermarkKeyFile, type WatermarkKey } from './keyfile.js';
export { embed, detect, parsePayloadHex, MIN_EMBED_SIDE, MIN_DETECT_SIDE } from './api.js';
export { embedFile, detectFile, type EmbedOutput } from './files.js';
export { falsePositiveBound, THRESHOLD, HYPOTHESES, type DetectResult } from './detect.js';
export { psnr, ssim } from './metrics.js';
export { PAYLOAD_BYTES } from './payload.js';
export { WatermarkPool } from './pool.js';
