// The Ed25519 key that signs the audit chain's head (on every group commit) and its retention
// checkpoints, kept in the data dir like the other keys: a 32-byte seed created once (mode 0600).
// Verification needs only its public half; gateways that share one PostgreSQL state store must
// share this file (as they share mask-key).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensureSecretFile } from '../auth/load-key';

export const signingKeyFile = (dataDir: string) => path.join(dataDir, 'audit-signing-key');

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows it. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface SigningKey {
  privateKey?: crypto.KeyObject;
  publicKey: crypto.KeyObject;
}

function fromSeed(seed: Buffer): SigningKey {
  if (seed.length !== 32) throw new Error('the audit checkpoint key must hold a 32-byte seed in hex');
  const privateKey = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: crypto.createPublicKey(privateKey) };
}

/** For signing: creates the key on first use. */
export function ensureSigningKey(dataDir: string): SigningKey {
  return fromSeed(ensureSecretFile(signingKeyFile(dataDir), 32));
}

/** For verifying: never creates a key; undefined when there is none. */
export function readSigningKey(dataDir: string): SigningKey | undefined {
  const file = signingKeyFile(dataDir);
  if (!fs.existsSync(file)) return undefined;
  return fromSeed(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex'));
}

export const publicKeyText = (k: crypto.KeyObject) => k.export({ format: 'der', type: 'spki' }).toString('base64');

export interface CheckpointPayload {
  throughId: number;
  throughHash: string;
  throughTs: number | null;
  pruned: number;
  createdAt: number;
}

const payloadBytes = (p: CheckpointPayload) =>
  Buffer.from(JSON.stringify(['meshguard-audit-checkpoint/1', p.throughId, p.throughHash, p.throughTs, p.pruned, p.createdAt]));

export function signCheckpoint(key: SigningKey, p: CheckpointPayload): string {
  if (!key.privateKey) throw new Error('no private key to sign the checkpoint with');
  return crypto.sign(null, payloadBytes(p), key.privateKey).toString('base64');
}

const headBytes = (lastId: number, lastHash: string) => Buffer.from(JSON.stringify(['meshguard-audit-head/1', lastId, lastHash]));

/** Signs the chain head, so cutting entries off the end and rewriting the head to match is caught. */
export function signHead(key: SigningKey, lastId: number, lastHash: string): string {
  if (!key.privateKey) throw new Error('no private key to sign the audit head with');
  return crypto.sign(null, headBytes(lastId, lastHash), key.privateKey).toString('base64');
}

export function headSignatureOk(publicKey: crypto.KeyObject, lastId: number, lastHash: string, signature: string | null): boolean {
  if (!signature) return false;
  try {
    return crypto.verify(null, headBytes(lastId, lastHash), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export function checkpointSignatureOk(publicKey: crypto.KeyObject, p: CheckpointPayload, signature: string): boolean {
  try {
    return crypto.verify(null, payloadBytes(p), publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
