// Generates the app icons (SVG + PNG) without any network or image dependency.
// Usage: node scripts/make-icons.mjs  (writes into public/icons/)
import { deflateSync } from "node:zlib";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "public", "icons");
mkdirSync(out, { recursive: true });

const BG = [11, 83, 148]; // #0b5394
const FG = [255, 255, 255];
const CROSS = [11, 83, 148];

// Shapes in a 0..1 unit square: speech bubble (rounded rect + tail) with a medical cross.
function inRoundRect(x, y, x0, y0, x1, y1, r) {
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r && x >= x0 && x <= x1 && y >= y0 && y <= y1;
}
function inTail(x, y) {
  // triangle (0.30,0.70) (0.30,0.86) (0.46,0.70)
  if (y < 0.69 || y > 0.86 || x < 0.3) return false;
  return x - 0.3 <= (0.86 - y) * (0.16 / 0.17);
}
function colorAt(x, y, maskable) {
  const inset = maskable ? 0.1 : 0;
  const sx = (x - inset) / (1 - 2 * inset);
  const sy = (y - inset) / (1 - 2 * inset);
  if (!maskable && !inRoundRect(x, y, 0, 0, 1, 1, 0.2)) return null;
  const bubble = inRoundRect(sx, sy, 0.16, 0.18, 0.84, 0.72, 0.12) || inTail(sx, sy);
  if (!bubble) return BG;
  const crossV = Math.abs(sx - 0.5) <= 0.055 && sy >= 0.3 && sy <= 0.6;
  const crossH = Math.abs(sy - 0.45) <= 0.055 && sx >= 0.35 && sx <= 0.65;
  return crossV || crossH ? CROSS : FG;
}

function crc32(buf) {
  let c, crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, maskable) {
  const ss = 4; // supersampling for smooth edges
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let py = 0; py < size; py++) {
    raw[py * (size * 4 + 1)] = 0;
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let i = 0; i < ss; i++)
        for (let j = 0; j < ss; j++) {
          const c = colorAt((px + (i + 0.5) / ss) / size, (py + (j + 0.5) / ss) / size, maskable);
          if (c) { r += c[0]; g += c[1]; b += c[2]; a += 255; }
        }
      const n = ss * ss;
      const o = py * (size * 4 + 1) + 1 + px * 4;
      const alpha = a / n;
      raw[o] = alpha ? Math.round((r / n) * (255 / alpha)) : 0;
      raw[o + 1] = alpha ? Math.round((g / n) * (255 / alpha)) : 0;
      raw[o + 2] = alpha ? Math.round((b / n) * (255 / alpha)) : 0;
      raw[o + 3] = Math.round(alpha);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

writeFileSync(join(out, "icon-192.png"), png(192, false));
writeFileSync(join(out, "icon-512.png"), png(512, false));
writeFileSync(join(out, "icon-maskable-512.png"), png(512, true));
writeFileSync(
  join(out, "icon.svg"),
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
  <rect width="100" height="100" rx="20" fill="#0b5394"/>
  <rect x="16" y="18" width="68" height="54" rx="12" fill="#fff"/>
  <path d="M30 69 L30 86 L46 70 Z" fill="#fff"/>
  <rect x="44.5" y="30" width="11" height="30" fill="#0b5394"/>
  <rect x="35" y="39.5" width="30" height="11" fill="#0b5394"/>
</svg>
`,
);
console.log("icons written to", out);
