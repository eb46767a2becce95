/**
 * Active liveness challenge. The server issues a random sequence of instructions (turn head left/right, blink, move
 * closer) with a one-time nonce that expires; the client films the person following them and sends the frames; the
 * server checks from face landmarks that the steps happened in that order, that one and the same face is present
 * throughout, and that it is the selfie's face. A nonce is consumed by its first use, success or not.
 *
 * What it stops: replay of a recorded video or of an earlier session (the order is random per challenge and nonces
 * are single-use), a printed photo or a photo on a screen held up to the camera (it cannot blink or turn), and a swap
 * of person between selfie and frames. What it does not stop: a live accomplice, a realistic 3-D mask worn by a
 * person, or a real-time deepfake/virtual camera that animates the victim's face on command; nor frames computed
 * offline by an attacker who can render the victim's face at any pose within the challenge's lifetime. It reasons
 * only about geometry: no texture/depth anti-spoofing model runs.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { TracemarkError, invalidArgument } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { DetectedFace } from '../face/engine.js';
import { descriptorDistance } from '../face/engine.js';
import { interOcular, meanEyeAspectRatio, yawProxy } from '../face/geometry.js';
import { significantOtherFaces } from '../face/quality.js';
import { FACE_MATCH_THRESHOLDS } from '../face/thresholds.js';

/** One instruction of a challenge. Directions are the person's own (turn_left = their left). */
export type LivenessStep = 'turn_left' | 'turn_right' | 'blink' | 'move_closer';
/** Every step kind, in a fixed order (used for validation). */
export const LIVENESS_STEPS: readonly LivenessStep[] = ['turn_left', 'turn_right', 'blink', 'move_closer'];

/** What the client receives when a challenge is issued. */
export interface IssuedChallenge {
  challenge_id: string;
  /** Secret the client must send back with the frames; stored only as a hash. */
  nonce: string;
  steps: LivenessStep[];
  expires_at: string;
  /** Human instructions, one per step. */
  instructions: string[];
}

/** A stored challenge (nonce as SHA-256 only). */
export interface ChallengeRecord {
  id: string;
  nonceHash: string;
  steps: LivenessStep[];
  /** Whoever the challenge was issued for (a verification or subject id); checked at use when given. */
  boundTo: string | null;
  expiresAt: number;
  used: boolean;
}

/** Storage for challenges; `take` must atomically mark the record used and return it as it was before. */
export interface ChallengeStore {
  put(rec: ChallengeRecord): Promise<void>;
  take(id: string): Promise<ChallengeRecord | null>;
}

/** In-process challenge store (one server process). Expired records are swept on every write. */
export class MemoryChallengeStore implements ChallengeStore {
  private readonly recs = new Map<string, ChallengeRecord>();
  constructor(private readonly now: () => number = Date.now, private readonly keepUsedMs = 24 * 3600_000) {}
  async put(rec: ChallengeRecord): Promise<void> {
    const t = this.now();
    for (const [id, r] of this.recs) if (r.expiresAt + this.keepUsedMs < t) this.recs.delete(id);
    this.recs.set(rec.id, { ...rec });
  }
  async take(id: string): Promise<ChallengeRecord | null> {
    const r = this.recs.get(id);
    if (!r) return null;
    const before = { ...r };
    r.used = true;
    return before;
  }
}

const INSTRUCTIONS: Record<LivenessStep, string> = {
  turn_left: 'Turn your head to your left',
  turn_right: 'Turn your head to your right',
  blink: 'Blink',
  move_closer: 'Move closer to the camera',
};

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Draws `n` steps at random, never the same step twice in a row, using the OS CSPRNG. */
export function randomSteps(n: number, rand: (max: number) => number = randomInt): LivenessStep[] {
  const out: LivenessStep[] = [];
  while (out.length < n) {
    const s = LIVENESS_STEPS[rand(LIVENESS_STEPS.length)] as LivenessStep;
    if (s !== out[out.length - 1]) out.push(s);
  }
  return out;
}

/** Issues and redeems one-time, expiring liveness challenges. */
export class LivenessChallenges {
  constructor(
    private readonly store: ChallengeStore,
    private readonly opts: { ttlMs?: number; steps?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Issues a new challenge, optionally bound to a verification/subject id. */
  async issue(boundTo?: string): Promise<IssuedChallenge> {
    const steps = randomSteps(this.opts.steps ?? 3);
    const nonce = randomBytes(24).toString('base64url');
    const id = newId('lvc');
    const expiresAt = this.now() + (this.opts.ttlMs ?? 120_000);
    await this.store.put({ id, nonceHash: sha256(nonce), steps, boundTo: boundTo ?? null, expiresAt, used: false });
    return { challenge_id: id, nonce, steps, expires_at: new Date(expiresAt).toISOString(), instructions: steps.map((s) => INSTRUCTIONS[s]) };
  }

  /**
   * Redeems a challenge: unknown id, wrong nonce, other owner, already used (replay) or expired all throw with a
   * distinct code. The challenge is spent by this call whatever the frames then show.
   */
  async redeem(id: string, nonce: string, boundTo?: string): Promise<LivenessStep[]> {
    const rec = await this.store.take(id);
    if (!rec) throw new TracemarkError('LIVENESS_UNKNOWN_CHALLENGE', `liveness challenge ${id} does not exist`, { kind: 'not_found', hint: 'Request a new challenge.' });
    const a = Buffer.from(sha256(nonce), 'hex');
    const b = Buffer.from(rec.nonceHash, 'hex');
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw new TracemarkError('LIVENESS_BAD_NONCE', `the nonce does not belong to liveness challenge ${id}`, { kind: 'forbidden' });
    if (rec.used) throw new TracemarkError('LIVENESS_REPLAYED', `liveness challenge ${id} was already used; challenges are single-use`, { kind: 'conflict', hint: 'Request a new challenge.' });
    if (rec.boundTo !== null && boundTo !== undefined && rec.boundTo !== boundTo) throw new TracemarkError('LIVENESS_BAD_NONCE', `liveness challenge ${id} was issued for another verification`, { kind: 'forbidden' });
    if (rec.expiresAt < this.now()) throw new TracemarkError('LIVENESS_EXPIRED', `liveness challenge ${id} expired`, { kind: 'user', hint: 'Request a new challenge and complete it within its time limit.' });
    return rec.steps;
  }
}

/** Validates a list of step names from outside (CLI file, API body). */
export function parseSteps(v: unknown): LivenessStep[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 8) throw invalidArgument('liveness steps', `a list of 1–8 of ${LIVENESS_STEPS.join(', ')}`, Array.isArray(v) ? `${v.length} steps` : typeof v);
  return v.map((s) => {
    if (!LIVENESS_STEPS.includes(s as LivenessStep)) throw invalidArgument('liveness step', `one of ${LIVENESS_STEPS.join(', ')}`, String(s));
    return s as LivenessStep;
  });
}

/**
 * Thresholds of the landmark checks. Yaw proxy (see face/geometry.ts): frontal faces on the face set measure
 * |yaw| < 0.25 and clearly turned heads 0.4–0.6; eye aspect ratio open ≈ 0.3, closed < 0.17.
 */
export const LIVENESS_THRESHOLDS = {
  frontalMaxAbsYaw: 0.2,
  turnMinYaw: 0.3,
  eyesClosedBelow: 0.17,
  eyesOpenAbove: 0.22,
  closerMinScale: 1.25,
  /** Consecutive frames further apart than this are not the same face (turned heads raise the distance). */
  sameFaceMaxDistance: 0.7,
  minFrames: 3,
  maxFrames: 60,
} as const;

/** Outcome of checking frames against a challenge. */
export interface LivenessCheck {
  passed: boolean;
  failure: 'TOO_FEW_FRAMES' | 'TOO_MANY_FRAMES' | 'FRAME_NO_FACE' | 'FRAME_MULTIPLE_FACES' | 'NOT_FRONTAL_AT_START' | 'FACE_CHANGED' | 'NOT_SELFIE_FACE' | 'STEP_NOT_OBSERVED' | null;
  detail: string | null;
  /** Frame index at which each step was completed. */
  completedAt: number[];
}

function fail(failure: NonNullable<LivenessCheck['failure']>, detail: string, completedAt: number[] = []): LivenessCheck {
  return { passed: false, failure, detail, completedAt };
}

/**
 * Checks ordered frames (the faces detected in each) against the challenge steps and the selfie descriptor.
 * Pure: no model, so it is tested with synthetic landmarks.
 */
export function checkLivenessFrames(steps: readonly LivenessStep[], frames: ReadonlyArray<readonly DetectedFace[]>, selfie: Float32Array | null): LivenessCheck {
  const T = LIVENESS_THRESHOLDS;
  if (frames.length < Math.max(T.minFrames, steps.length + 1)) return fail('TOO_FEW_FRAMES', `${frames.length} frames for ${steps.length} steps; at least ${Math.max(T.minFrames, steps.length + 1)} are needed`);
  if (frames.length > T.maxFrames) return fail('TOO_MANY_FRAMES', `${frames.length} frames; at most ${T.maxFrames}`);
  const faces: DetectedFace[] = [];
  for (let i = 0; i < frames.length; i++) {
    const fs = frames[i] as readonly DetectedFace[];
    const f = fs[0];
    if (!f) return fail('FRAME_NO_FACE', `no face in frame ${i + 1}`);
    if (significantOtherFaces(fs) > 0) return fail('FRAME_MULTIPLE_FACES', `more than one face in frame ${i + 1}`);
    faces.push(f);
  }
  // Same face throughout: each frame close to its predecessor and to the first frame.
  const first = faces[0] as DetectedFace;
  for (let i = 1; i < faces.length; i++) {
    const f = faces[i] as DetectedFace;
    const prev = faces[i - 1] as DetectedFace;
    if (descriptorDistance(f.descriptor, prev.descriptor) > T.sameFaceMaxDistance || descriptorDistance(f.descriptor, first.descriptor) > T.sameFaceMaxDistance) {
      return fail('FACE_CHANGED', `the face in frame ${i + 1} is not the face of the earlier frames`);
    }
  }
  if (Math.abs(yawProxy(first.landmarks)) > T.frontalMaxAbsYaw || meanEyeAspectRatio(first.landmarks) < T.eyesOpenAbove) {
    return fail('NOT_FRONTAL_AT_START', 'the first frame must show the face straight on with eyes open');
  }
  // The selfie's face: the frontal frames must match it at the 1:1 review bound, and the best at the match threshold.
  if (selfie) {
    let best = Infinity;
    for (const f of faces) {
      if (Math.abs(yawProxy(f.landmarks)) > T.frontalMaxAbsYaw) continue;
      const d = descriptorDistance(f.descriptor, selfie);
      best = Math.min(best, d);
      if (d > FACE_MATCH_THRESHOLDS.reviewUpper) return fail('NOT_SELFIE_FACE', 'a frontal frame does not show the selfie\'s face');
    }
    if (best > FACE_MATCH_THRESHOLDS.match) return fail('NOT_SELFIE_FACE', 'no frame matches the selfie closely enough');
  }
  // Steps in order. Each step starts where the previous one completed.
  const completedAt: number[] = [];
  let i = 1;
  // Scale baseline for move_closer: the inter-ocular distance of the latest frontal frame before the step starts
  // (a turned head shortens it, so turned frames would fake a "closer" on turning back).
  const frontal = (f: DetectedFace) => Math.abs(yawProxy(f.landmarks)) <= T.frontalMaxAbsYaw;
  const baselineBefore = (k: number): number => {
    for (let j = k - 1; j >= 0; j--) if (frontal(faces[j] as DetectedFace)) return interOcular((faces[j] as DetectedFace).landmarks);
    return interOcular(first.landmarks);
  };
  for (const step of steps) {
    const startScale = baselineBefore(i);
    let done = -1;
    if (step === 'blink') {
      let closedAt = -1;
      for (let j = i; j < faces.length; j++) {
        const ear = meanEyeAspectRatio((faces[j] as DetectedFace).landmarks);
        if (closedAt < 0 && ear < T.eyesClosedBelow) closedAt = j;
        else if (closedAt >= 0 && ear > T.eyesOpenAbove) {
          done = j;
          break;
        }
      }
    } else {
      for (let j = i; j < faces.length; j++) {
        const lm = (faces[j] as DetectedFace).landmarks;
        const yaw = yawProxy(lm);
        // turn_left = the person's left = the nose moves toward the image's right edge in an unmirrored frame.
        const ok = step === 'turn_left' ? yaw >= T.turnMinYaw : step === 'turn_right' ? yaw <= -T.turnMinYaw : frontal(faces[j] as DetectedFace) && interOcular(lm) >= T.closerMinScale * startScale;
        if (ok) {
          done = j;
          break;
        }
      }
    }
    if (done < 0) return fail('STEP_NOT_OBSERVED', `step ${completedAt.length + 1} (${step}) was not observed after frame ${i}`, completedAt);
    completedAt.push(done);
    i = done + 1;
  }
  return { passed: true, failure: null, detail: null, completedAt };
}
