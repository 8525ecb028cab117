import { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

import type { StorageConfig } from "../env.ts";
import { checkKey, type FileStore } from "./file-store.ts";

export type S3StoreConfig = Extract<StorageConfig, { kind: "s3" }>;

/** S3's smallest part; one part in flight per upload keeps an upload's memory near this. */
const PART_SIZE = 5 * 1024 * 1024;

/** Any S3-compatible store (AWS, MinIO, Ceph, R2...): path-style addressing works with all of them. */
export function createS3Store(config: S3StoreConfig): FileStore {
  const options: S3ClientConfig = {
    region: config.region,
    forcePathStyle: true,
    // Newer SDKs add CRC checksums (and aws-chunked bodies) to every request by default, which
    // several S3-compatible servers refuse; ask for them only where S3 requires them.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  };
  const client = new S3Client(options);
  const Bucket = config.bucket;

  return {
    kind: "s3",
    async put(key, body) {
      // Streams in parts of PART_SIZE (one PutObject when smaller); a failed body aborts the
      // multipart upload, so no part stays behind.
      const upload = new Upload({
        client,
        params: { Bucket, Key: checkKey(key), Body: body },
        partSize: PART_SIZE,
        queueSize: 1,
        leavePartsOnError: false,
      });
      let bodyError: unknown;
      body.once("error", (error) => (bodyError = error));
      try {
        await upload.done();
      } catch (error) {
        await client.send(new DeleteObjectCommand({ Bucket, Key: key })).catch(() => {});
        // The body's failure is the cause (an abort that fails after it must not hide it).
        throw bodyError ?? error;
      }
    },
    async get(key, range) {
      const answer = await client.send(
        new GetObjectCommand({
          Bucket,
          Key: checkKey(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      if (!(answer.Body instanceof Readable)) throw new Error("S3 answered no body");
      return answer.Body;
    },
    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: checkKey(key) }));
    },
    async keys() {
      const keys: string[] = [];
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, ContinuationToken }));
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        ContinuationToken = page.NextContinuationToken;
      } while (ContinuationToken);
      return keys;
    },
  };
}
