/**
 * FaceEngine backed by `@vladmandic/face-api` on TensorFlow.js with the WASM backend: CPU only, fully offline (model
 * weights and .wasm files are read from inside the installed npm packages; nothing is fetched). TinyFaceDetector runs
 * first and SSD MobileNet v1 (slower, finds more) only when it finds nothing (see DETECTOR_ORDER). The models load
 * lazily, once per process.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { TracemarkError } from '../core/errors.js';
import type { Raster } from '../image/decode.js';
import type { DetectOptions, DetectedFace, FaceEngine, Point } from './engine.js';

// face-api and tfjs are CommonJS bundles whose own typings pull in DOM types this project does not compile against,
// so they are loaded with createRequire and described by the few structural types below.
const require = createRequire(import.meta.url);

interface TfTensor {
  dispose(): void;
}
interface TfModule {
  tensor3d(values: Uint8Array, shape: [number, number, number], dtype: 'int32'): TfTensor;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  version_core: string;
}
interface WasmBackendModule {
  setWasmPaths(prefix: string, usePlatformFetch?: boolean): void;
}
interface FaResult {
  detection: { score: number; box: { x: number; y: number; width: number; height: number } };
  landmarks: { positions: Point[] };
  descriptor: Float32Array;
}
interface FaNet {
  loadFromDisk(dir: string): Promise<void>;
}
interface FaceApiModule {
  version: string;
  nets: { ssdMobilenetv1: FaNet; tinyFaceDetector: FaNet; faceLandmark68Net: FaNet; faceRecognitionNet: FaNet };
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults?: number }) => object;
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => object;
  detectAllFaces(input: TfTensor, options: object): { withFaceLandmarks(): { withFaceDescriptors(): Promise<FaResult[]> } };
}

/** Working resolution: images are downscaled so their long side is at most this before detection (speed). */
export const WORKING_LONG_SIDE = 640;
/** Border added around the image, as a fraction of its long side: tight face crops are otherwise missed. */
const PAD_FRACTION = 0.25;
/** Lowest detector confidence accepted; the quality checks decide what to do with weak faces. */
const SSD_MIN_CONFIDENCE = 0.3;
const TINY_MIN_SCORE = 0.3;
const TINY_INPUT_SIZE = 416;
/**
 * Detector order per purpose; the second runs only when the first finds nothing. Measured on ID cards carrying the
 * 11 identities of ../shared/faces: tiny-first found every portrait (2 via the SSD fallback) with descriptor
 * distances to a selfie within ±0.015 of SSD-first, at half the time (552 vs 1041 ms under load) — so both purposes
 * start with the fast detector. SSD alone finds more of the 150 px crops in the face set (see calibration).
 */
const DETECTOR_ORDER: Record<DetectOptions['purpose'], ReadonlyArray<'ssd' | 'tiny'>> = { document: ['tiny', 'ssd'], selfie: ['tiny', 'ssd'] };

interface Loaded {
  tf: TfModule;
  faceapi: FaceApiModule;
  version: string;
}

let loading: Promise<Loaded> | undefined;

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

function packageVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

/** Loads TF.js (WASM backend from local files) and the four face-api nets from the package's model folder, once. */
function load(): Promise<Loaded> {
  loading ??= (async () => {
    try {
      const tf = require('@tensorflow/tfjs') as TfModule;
      const wasm = require('@tensorflow/tfjs-backend-wasm') as WasmBackendModule;
      const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
      // usePlatformFetch=false: the .wasm is read from the file system by the Emscripten loader, never fetched.
      wasm.setWasmPaths(join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist') + '/', false);
      await tf.setBackend('wasm');
      await tf.ready();
      const models = join(packageDir('@vladmandic/face-api'), 'model');
      await faceapi.nets.ssdMobilenetv1.loadFromDisk(models);
      await faceapi.nets.tinyFaceDetector.loadFromDisk(models);
      await faceapi.nets.faceLandmark68Net.loadFromDisk(models);
      await faceapi.nets.faceRecognitionNet.loadFromDisk(models);
      const version = `face-api@${packageVersion('@vladmandic/face-api')} tfjs@${tf.version_core}/${tf.getBackend()} models:ssd_mobilenetv1,tiny_face_detector,face_landmark_68,face_recognition`;
      return { tf, faceapi, version };
    } catch (err) {
      loading = undefined;
      throw new TracemarkError('FACE_ENGINE_UNAVAILABLE', 'The face model could not be loaded from node_modules', {
        kind: 'dependency',
        hint: 'Run `npm ci` in the project folder; the models ship inside @vladmandic/face-api.',
        cause: err instanceof Error ? new Error(err.message.split('\n')[0]) : undefined,
      });
    }
  })();
  return loading;
}

/** Downscales to the working resolution and pads with grey; returns the RGB pixels and the mapping back. */
async function prepare(raster: Raster): Promise<{ data: Uint8Array; width: number; height: number; scale: number; pad: number }> {
  const long = Math.max(raster.width, raster.height);
  const scale = Math.min(1, WORKING_LONG_SIDE / long);
  const w = Math.max(1, Math.round(raster.width * scale));
  const h = Math.max(1, Math.round(raster.height * scale));
  const pad = Math.round(Math.max(w, h) * PAD_FRACTION);
  let pipe = sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: raster.channels } });
  if (raster.channels === 4) pipe = pipe.removeAlpha();
  if (scale < 1) pipe = pipe.resize(w, h, { kernel: 'lanczos3' });
  const { data, info } = await pipe
    .extend({ top: pad, bottom: pad, left: pad, right: pad, background: { r: 128, g: 128, b: 128 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, scale: w / raster.width, pad };
}

/** The face-api implementation of {@link FaceEngine}. Construct freely: the models are shared per process. */
export class FaceApiEngine implements FaceEngine {
  readonly id = 'faceapi-resnet34-v1';
  private loaded: Loaded | undefined;

  /** Model/runtime versions; 'not-loaded' until the first detection (or {@link warmUp}). */
  get modelVersion(): string {
    return this.loaded?.version ?? 'face-api (not loaded yet)';
  }

  /**
   * Loads the models now (e.g. at server start) and runs both detectors once on a blank image, so the first real
   * request does not pay for WASM kernel set-up.
   */
  async warmUp(): Promise<void> {
    this.loaded = await load();
    await this.detect({ width: 96, height: 96, channels: 3, data: new Uint8Array(96 * 96 * 3).fill(128) }, { purpose: 'selfie' });
  }

  async detect(raster: Raster, opts: DetectOptions): Promise<DetectedFace[]> {
    const loaded = (this.loaded ??= await load());
    const { tf, faceapi } = loaded;
    const img = await prepare(raster);
    const tensor = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
    try {
      const order = DETECTOR_ORDER[opts.purpose];
      for (const det of order) {
        const options = det === 'ssd'
          ? new faceapi.SsdMobilenetv1Options({ minConfidence: SSD_MIN_CONFIDENCE, maxResults: 20 })
          : new faceapi.TinyFaceDetectorOptions({ inputSize: TINY_INPUT_SIZE, scoreThreshold: TINY_MIN_SCORE });
        const found = await faceapi.detectAllFaces(tensor, options).withFaceLandmarks().withFaceDescriptors();
        if (found.length === 0) continue;
        const map = (x: number, y: number): Point => ({ x: (x - img.pad) / img.scale, y: (y - img.pad) / img.scale });
        const faces = found.map((r): DetectedFace => {
          const b = r.detection.box;
          const tl = map(b.x, b.y);
          return {
            box: { x: tl.x, y: tl.y, width: b.width / img.scale, height: b.height / img.scale },
            score: r.detection.score,
            landmarks: r.landmarks.positions.map((p) => map(p.x, p.y)),
            descriptor: Float32Array.from(r.descriptor),
            detector: det === 'ssd' ? 'ssd_mobilenetv1' : 'tiny_face_detector',
          };
        });
        // Largest face first: the subject is the biggest face in a selfie and the portrait on a card.
        faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
        return faces;
      }
      return [];
    } finally {
      tensor.dispose();
    }
  }
}

let shared: FaceApiEngine | undefined;
/** The process-wide engine (models load once, on first use). */
export function faceApiEngine(): FaceApiEngine {
  return (shared ??= new FaceApiEngine());
}
