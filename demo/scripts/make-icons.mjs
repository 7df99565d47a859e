// Generates the PWA icons (demo/public/icons/): an SVG and PNGs rasterized from the same shapes.
// The picture: text lines as rounded bars, one span highlighted like a recognized entity.
// Run: node demo/scripts/make-icons.mjs (output is committed; no image library needed).
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const out = new URL('../public/icons/', import.meta.url);
const BG = [0x1f, 0x4e, 0x8c];
const FG = [0xff, 0xff, 0xff];
const MARK = [0xf5, 0xb7, 0x00];

/** Shapes on a 100x100 canvas: [x, y, w, h, radius, color]. */
function shapes(inset) {
  const s = (v) => inset + (v * (100 - 2 * inset)) / 100;
  const d = (v) => (v * (100 - 2 * inset)) / 100;
  return [
    [s(14), s(22), d(72), d(12), d(6), FG],
    [s(14), s(44), d(24), d(12), d(6), FG],
    [s(42), s(42), d(44), d(16), d(6), MARK],
    [s(14), s(66), d(52), d(12), d(6), FG],
  ];
}

const hex = (c) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

function svg() {
  const body = shapes(0)
    .map(([x, y, w, h, r, c]) => `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${r}" fill="${hex(c)}"/>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><rect width="100" height="100" rx="18" fill="${hex(BG)}"/>${body}</svg>\n`;
}

function inRoundRect(px, py, x, y, w, h, r) {
  if (px < x || py < y || px > x + w || py > y + h) return false;
  const cx = Math.min(Math.max(px, x + r), x + w - r);
  const cy = Math.min(Math.max(py, y + r), y + h - r);
  return (px - cx) ** 2 + (py - cy) ** 2 <= r * r;
}

function png(size, { maskable }) {
  const rects = shapes(maskable ? 12 : 0);
  const bg = maskable ? [[0, 0, 100, 100, 0, BG]] : [[0, 0, 100, 100, 18, BG]];
  const all = [...bg, ...rects];
  const rows = [];
  const ss = 4; // 4x4 supersampling for smooth edges
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let px = 0; px < size; px++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const x = ((px + (sx + 0.5) / ss) / size) * 100;
          const y = ((py + (sy + 0.5) / ss) / size) * 100;
          let color;
          for (const [rx, ry, w, h, rad, c] of all) if (inRoundRect(x, y, rx, ry, w, h, rad)) color = c;
          if (color) {
            r += color[0];
            g += color[1];
            b += color[2];
            a += 255;
          }
        }
      }
      const n = ss * ss;
      const alpha = a / n;
      // Colors are premultiplied by coverage in the sums; un-premultiply for straight-alpha PNG.
      const cov = a / 255 || 1;
      row.set([Math.round(r / cov), Math.round(g / cov), Math.round(b / cov), Math.round(alpha)], 1 + px * 4);
    }
    rows.push(row);
  }
  return encodePng(size, size, Buffer.concat(rows));
}

function crc32(buf) {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function encodePng(w, h, raw) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

writeFileSync(new URL('icon.svg', out), svg());
writeFileSync(new URL('icon-192.png', out), png(192, { maskable: false }));
writeFileSync(new URL('icon-512.png', out), png(512, { maskable: false }));
writeFileSync(new URL('icon-maskable-512.png', out), png(512, { maskable: true }));
writeFileSync(new URL('apple-touch-icon-180.png', out), png(180, { maskable: true }));
console.log('icons written to', out.pathname);
