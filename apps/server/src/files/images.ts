import type { Readable } from "node:stream";
import sharp from "sharp";

import { THUMBNAIL_MAX_SIDE } from "@causette/contracts";

/** The raster formats sharp reads that browsers show; other files get no size and no thumbnail. */
const RASTER_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/tiff"]);

/** Above this, decoding would cost too much memory (a small file can declare a huge image). */
const MAX_INPUT_PIXELS = 100_000_000;

export const THUMBNAIL_CONTENT_TYPE = "image/webp";

export interface ImageFacts {
  width: number;
  height: number;
  /** WebP, at most THUMBNAIL_MAX_SIDE pixels on the longest side. */
  thumbnail: Buffer;
}

export const isRasterImage = (contentType: string) => RASTER_TYPES.has(contentType);

/**
 * The displayed size (EXIF orientation applied) and a thumbnail of an image, read from `source`;
 * null when the bytes are not a readable image after all (then it is served as a plain file).
 */
export async function describeImage(source: Readable): Promise<ImageFacts | null> {
  const image = sharp({ limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true });
  source.on("error", (error) => image.destroy(error));
  source.pipe(image);
  try {
    const metadata = await image.metadata();
    const width = metadata.autoOrient?.width ?? metadata.width;
    const height = metadata.autoOrient?.height ?? metadata.height;
    if (!width || !height) return null;
    const thumbnail = await image
      .rotate()
      .resize({ width: THUMBNAIL_MAX_SIDE, height: THUMBNAIL_MAX_SIDE, fit: "inside", withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer();
    return { width, height, thumbnail };
  } catch {
    source.destroy();
    return null;
  }
}
