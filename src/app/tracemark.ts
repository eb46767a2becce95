import { join } from 'node:path';
import type { TracemarkConfig } from '../core/config.js';
import { createLogger, type Logger } from '../core/log.js';
import { AuditLog } from '../audit/audit-log.js';
import { closeMrzOcr, readMrz } from '../document/mrz-ocr.js';
import type { BlobStore } from '../storage/blobs/blob-store.js';
import { FsBlobStore } from '../storage/blobs/fs.js';
import { LocalKeyring } from '../storage/keys/local-keyring.js';
import type { AuditStore, RecordStore, StoreLifecycle } from '../storage/records/record-store.js';
import { SqliteStore } from '../storage/records/sqlite.js';
import type { ReleaseStore } from '../storage/records/release-store.js';
import { SqliteReleaseStore } from '../storage/records/sqlite-releases.js';
import { generateWatermarkKey, readWatermarkKeyFile, writeWatermarkKeyFile, type WatermarkKey } from '../watermark/index.js';
import { ReleaseService } from '../vault/release-service.js';
import { SqliteHashStore } from '../storage/hashes/sqlite.js';
import type { HashStore } from '../storage/hashes/hash-store.js';
import { ImageMatcher } from '../match/retrieval.js';
import { decodeImage } from '../image/decode.js';
import { InvestigateService } from '../investigate/investigate-service.js';
import { DoctorService } from '../vault/doctor-service.js';
import { ImportService } from '../vault/import-service.js';
import { KeysService } from '../vault/keys-service.js';
import { RecordsService, type ImageStoredHook } from '../vault/records-service.js';
import { createHome, localManifest, readManifest, type HomeManifest } from './home.js';

/** Everything a shell (CLI, API) needs: the services, wired to the backends the vault home names. */
export interface Tracemark {
  config: TracemarkConfig;
  manifest: HomeManifest;
  log: Logger;
  records: RecordsService;
  importer: ImportService;
  keys: KeysService;
  doctor: DoctorService;
  releases: ReleaseService;
  investigations: InvestigateService;
  /** The perceptual-hash and feature index, loaded into memory on first use. */
  matcher(): Promise<ImageMatcher>;
  audit: AuditLog;
  /** Path of the vault's watermark key file. */
  watermarkKeyPath: string;
  /** Lower-level handles for sibling modules wired here (hash index, releases). */
  stores: { records: RecordStore; audit: AuditStore; releases: ReleaseStore; hashes: HashStore; blobs: BlobStore; sqlite: SqliteStore | null };
  /** Writes a final signed checkpoint and closes connections. */
  close(): Promise<void>;
}

interface Backends {
  records: RecordStore & AuditStore & StoreLifecycle;
  releases: ReleaseStore;
  hashes: HashStore;
  sqlite: SqliteStore | null;
  blobs: BlobStore;
  keyring: LocalKeyring;
}

async function openBackends(config: TracemarkConfig, m: HomeManifest): Promise<Backends> {
  let records: RecordStore & AuditStore & StoreLifecycle;
  let releases: ReleaseStore;
  let hashes: HashStore;
  let sqlite: SqliteStore | null = null;
  switch (m.records.kind) {
    case 'sqlite': {
      const store = new SqliteStore(join(config.home, m.records.path));
      sqlite = store;
      records = store;
      releases = new SqliteReleaseStore(store.db, (a) => store.appendInTx(a));
      hashes = new SqliteHashStore(store.db);
      break;
    }
    default:
      m.records.kind satisfies never;
      throw new Error('unreachable');
  }
  let blobs: BlobStore;
  switch (m.blobs.kind) {
    case 'fs':
      blobs = new FsBlobStore(join(config.home, m.blobs.path));
      break;
    default:
      m.blobs.kind satisfies never;
      throw new Error('unreachable');
  }
  let keyring: LocalKeyring;
  switch (m.keys.kind) {
    case 'local-keyring':
      keyring = await LocalKeyring.open(join(config.home, m.keys.path), config.passphrase);
      break;
    default:
      m.keys.kind satisfies never;
      throw new Error('unreachable');
  }
  await records.migrate();
  hashes.migrate();
  return { records, releases, hashes, sqlite, blobs, keyring };
}

/** Opens an existing vault home. */
export async function openTracemark(config: TracemarkConfig): Promise<Tracemark> {
  const manifest = await readManifest(config.home);
  const b = await openBackends(config, manifest);
  const log = createLogger(config.logLevel);
  const audit = new AuditLog(b.records, b.keyring.auditSigningKey(), config.actor);
  // Perceptual hashes and local features are computed at ingest for every image, so a leaked copy can be found
  // without decrypting the vault; the in-memory index is only loaded when something searches it.
  const matcherInstance = new ImageMatcher(b.hashes);
  let loaded: Promise<ImageMatcher> | null = null;
  const matcher = (): Promise<ImageMatcher> => (loaded ??= Promise.resolve().then(() => {
    matcherInstance.load();
    return matcherInstance;
  }));
  const hooks: ImageStoredHook[] = [{
    async afterImageStored(image, plaintext) {
      const raster = await decodeImage(plaintext, image.id, { maxPixels: config.maxPixels });
      matcherInstance.add(image.id, image.kind, await matcherInstance.compute(raster));
    },
    async afterSubjectErased(_subjectId, imageIds) {
      matcherInstance.remove(imageIds);
    },
  }];
  const limits = { maxPixels: config.maxPixels, maxFileBytes: config.maxFileBytes };
  const records = new RecordsService({ records: b.records, blobs: b.blobs, keys: b.keyring, audit, limits, hooks });
  const watermarkKeyPath = join(config.home, manifest.watermarkKeyPath);
  let wmKey: Promise<WatermarkKey> | null = null;
  const releases = new ReleaseService({
    records: b.records, releases: b.releases, service: records, audit, limits, actor: config.actor,
    watermarkKey: () => watermarkKey(),
  });
  const watermarkKey = () => (wmKey ??= readWatermarkKeyFile(watermarkKeyPath));
  const investigations = new InvestigateService({
    records: b.records, releases: b.releases, hashes: b.hashes, service: records, audit, matcher, watermarkKey, limits, log,
    readMrz: (r) => readMrz(r),
  });
  const t: Omit<Tracemark, 'close'> = {
    config, manifest, log, records, audit, releases, investigations, matcher,
    importer: new ImportService(records, log),
    keys: new KeysService(b.keyring, b.records, audit),
    doctor: new DoctorService(b.records, b.blobs, records, audit),
    watermarkKeyPath,
    stores: { records: b.records, audit: b.records, releases: b.releases, hashes: b.hashes, blobs: b.blobs, sqlite: b.sqlite },
  };
  return {
    ...t,
    async close() {
      await audit.checkpoint();
      await b.records.close();
      await closeMrzOcr(); // the investigation's MRZ cross-check may have started the OCR worker thread
    },
  };
}

/** Creates a new vault home with the embedded default backends (SQLite + local files + local keyring). */
export async function initTracemark(config: TracemarkConfig, extraInit: ((t: Tracemark) => Promise<void>)[] = []): Promise<{ home: string; passphraseProtected: boolean }> {
  const manifest = localManifest();
  await createHome(config.home, manifest);
  await LocalKeyring.create(join(config.home, manifest.keys.path), config.passphrase);
  await writeWatermarkKeyFile(join(config.home, manifest.watermarkKeyPath), generateWatermarkKey());
  const t = await openTracemark(config);
  try {
    await t.audit.record('vault.init', null, { details: { records: manifest.records.kind, blobs: manifest.blobs.kind, keys: manifest.keys.kind, passphrase: config.passphrase !== undefined } });
    for (const f of extraInit) await f(t);
  } finally {
    await t.close();
  }
  return { home: config.home, passphraseProtected: config.passphrase !== undefined };
}
