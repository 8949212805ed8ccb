// A virtual X display for headful Chromium: Xvfb on a free display number, real X input
// with xdotool (the browser cannot tell it from a person), and screenshots of the whole
// screen with xwd (browser UI included: the permission prompt is not in the page, so
// page.screenshot() cannot see it), written as PNG with no image library.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const TOOLS = ['Xvfb', 'xdotool', 'xwd'];

/** The tools a headful test needs that are missing (setup.sh installs them). */
export function missingDisplayTools() {
  return TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
}

/**
 * Start Xvfb on the first free display (-displayfd). Returns {display, env, width, height,
 * click(x, y), key(...keys), capture(), screenshot(file), close()}.
 */
export async function startDisplay({ width = 1280, height = 900 } = {}) {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  xvfb.stderr.on('data', (d) => { stderr += d; });
  const number = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start: ${stderr}`)), 15_000);
    xvfb.once('exit', (code) => { clearTimeout(timer); reject(new Error(`Xvfb exited (${code}): ${stderr}`)); });
    xvfb.stdio[3].once('data', (d) => { clearTimeout(timer); resolve(String(d).trim()); });
  });
  const display = `:${number}`;
  const env = { ...process.env, DISPLAY: display };
  const run = (cmd, args) => execFileSync(cmd, args, { env, maxBuffer: 1 << 27 });
  return {
    display,
    env: { DISPLAY: display },
    width,
    height,
    /** A real X pointer click at screen pixel (x, y). */
    click(x, y) { run('xdotool', ['mousemove', '--sync', String(Math.round(x)), String(Math.round(y)), 'click', '1']); },
    /** Real X key presses, e.g. key('Tab', 'Return'). */
    key(...keys) { run('xdotool', ['key', ...keys]); },
    /** The whole screen as an X window dump (decode with decodeXwd). */
    capture() { return decodeXwd(run('xwd', ['-root', '-silent'])); },
    /** Save the screen as PNG; returns the decoded image. */
    screenshot(file) {
      const image = this.capture();
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, encodePng(image));
      return image;
    },
    close() { try { xvfb.kill('SIGTERM'); } catch { /* gone */ } },
  };
}

/** Decode a ZPixmap xwd dump (24/32 bpp TrueColor) into {width, height, rgb: Uint8Array}. */
export function decodeXwd(buf) {
  const u32 = (o) => buf.readUInt32BE(o);
  const headerSize = u32(0);
  const width = u32(16);
  const height = u32(20);
  const byteOrder = u32(28); // 0 = LSBFirst
  const bitsPerPixel = u32(44);
  const bytesPerLine = u32(48);
  const masks = [u32(56), u32(60), u32(64)];
  const colors = u32(76);
  if (bitsPerPixel !== 32 && bitsPerPixel !== 24) throw new Error(`xwd: ${bitsPerPixel} bits per pixel is not supported`);
  const shifts = masks.map((m) => 31 - Math.clz32(m & -m));
  const start = headerSize + colors * 12;
  const step = bitsPerPixel / 8;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = start + y * bytesPerLine + x * step;
      const px = step === 4 ? (byteOrder === 0 ? buf.readUInt32LE(o) : buf.readUInt32BE(o))
        : (byteOrder === 0 ? buf.readUIntLE(o, 3) : buf.readUIntBE(o, 3));
      const d = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) rgb[d + c] = ((px & masks[c]) >>> shifts[c]) & 0xff;
    }
  }
  return { width, height, rgb };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** {width, height, rgb} → PNG bytes (8-bit RGB, no filter). */
export function encodePng({ width, height, rgb }) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header), pngChunk('IDAT', zlib.deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Solid regions of one colour (±tol per channel) inside `area` {x, y, width, height}, as
 * bounding boxes {x0, y0, x1, y1, width, height, pixels}, 4-connected.
 */
export function colorRegions(image, [r, g, b], { tol = 3, area } = {}) {
  const { width, rgb } = image;
  const ax = area?.x ?? 0;
  const ay = area?.y ?? 0;
  const aw = Math.min(area?.width ?? width, width - ax);
  const ah = Math.min(area?.height ?? image.height, image.height - ay);
  const match = new Uint8Array(aw * ah);
  for (let y = 0; y < ah; y++) {
    for (let x = 0; x < aw; x++) {
      const o = ((y + ay) * width + (x + ax)) * 3;
      if (Math.abs(rgb[o] - r) <= tol && Math.abs(rgb[o + 1] - g) <= tol && Math.abs(rgb[o + 2] - b) <= tol) match[y * aw + x] = 1;
    }
  }
  const regions = [];
  for (let i = 0; i < match.length; i++) {
    if (match[i] !== 1) continue;
    let x0 = Infinity; let y0 = Infinity; let x1 = -1; let y1 = -1; let pixels = 0;
    const stack = [i];
    match[i] = 2;
    while (stack.length) {
      const j = stack.pop();
      const x = j % aw;
      const y = (j - x) / aw;
      pixels++;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      const next = [x > 0 ? j - 1 : -1, x < aw - 1 ? j + 1 : -1, y > 0 ? j - aw : -1, y < ah - 1 ? j + aw : -1];
      for (const k of next) if (k >= 0 && match[k] === 1) { match[k] = 2; stack.push(k); }
    }
    regions.push({ x0: x0 + ax, y0: y0 + ay, x1: x1 + ax, y1: y1 + ay, width: x1 - x0 + 1, height: y1 - y0 + 1, pixels });
  }
  return regions;
}

/**
 * Chromium 156's permission prompt (light theme) draws its two actions as tonal pill
 * buttons of this colour, side by side, "Allow" on the right (measured from screenshots).
 */
export const PROMPT_BUTTON_RGB = [0xd3, 0xe3, 0xfd];

/**
 * Find the permission prompt's buttons below the browser's top chrome: pill-sized regions
 * of PROMPT_BUTTON_RGB, on one row, sorted left to right. Returns [] when no prompt shows.
 */
export function promptButtons(image, { top }) {
  const pills = colorRegions(image, PROMPT_BUTTON_RGB, { area: { x: 0, y: top, width: image.width, height: image.height - top } })
    .filter((p) => p.width >= 30 && p.width <= 300 && p.height >= 20 && p.height <= 60 && p.pixels > 0.6 * p.width * p.height);
  if (pills.length < 2) return [];
  // The prompt's pair: the two right-most pills sharing a row.
  pills.sort((p, q) => p.x0 - q.x0);
  const row = pills.filter((p) => Math.abs(p.y0 - pills[pills.length - 1].y0) <= 2);
  return row.map((p) => ({ ...p, cx: (p.x0 + p.x1) / 2, cy: (p.y0 + p.y1) / 2 }));
}

/**
 * Where `page`'s viewport starts on the screen, read through CDP without running script in
 * the page (evaluate carries a user gesture): the window's bounds, minus the viewport's
 * height (the tab strip, toolbar and any infobar sit above it; nothing sits left of it).
 */
export async function viewportOnScreen(launched, page) {
  const session = await page.context().newCDPSession(page);
  let targetId;
  let viewport;
  try {
    ({ targetInfo: { targetId } } = await session.send('Target.getTargetInfo'));
    ({ cssVisualViewport: viewport } = await session.send('Page.getLayoutMetrics'));
  } finally {
    await session.detach().catch(() => {});
  }
  const browserSession = await launched.browser.newBrowserCDPSession();
  try {
    const { bounds } = await browserSession.send('Browser.getWindowForTarget', { targetId });
    return { x: bounds.left, y: bounds.top + bounds.height - viewport.clientHeight };
  } finally {
    await browserSession.detach().catch(() => {});
  }
}
