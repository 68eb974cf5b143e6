// The world's rules, free of the DOM so they can run (and be checked) anywhere: a tile map, avatars with a
// position and a target tile, and a step that moves every avatar towards its target around the walls.

export const TILE = 32;

/** A small seeded random generator (mulberry32), so a world is the same for the same seed. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A world of `cols` x `rows` tiles: walls on the border and a few blocks inside, and `count` avatars. */
export function createWorld({ cols = 20, rows = 15, count = 6, seed = 1 } = {}) {
  const rand = random(seed);
  const walls = Array.from({ length: rows }, (_, y) => Array.from({ length: cols }, (_, x) => x === 0 || y === 0 || x === cols - 1 || y === rows - 1));
  for (let i = 0; i < Math.floor((cols * rows) / 12); i++) walls[1 + Math.floor(rand() * (rows - 2))][1 + Math.floor(rand() * (cols - 2))] = true;
  const world = { cols, rows, walls, avatars: [], rand, time: 0 };
  const colors = ["#3498db", "#e74c3c", "#2ecc71", "#f1c40f", "#9b59b6", "#e67e22", "#1abc9c", "#ecf0f1"];
  for (let i = 0; i < count; i++) {
    const tile = freeTile(world);
    world.avatars.push({ id: i, name: i === 0 ? "You" : `Avatar ${i}`, color: colors[i % colors.length], x: tile.x, y: tile.y, target: tile, speed: 3, player: i === 0, speech: null });
  }
  return world;
}

/** True when the tile is on the map and not a wall. */
export function isFree(world, x, y) {
  return x >= 0 && y >= 0 && x < world.cols && y < world.rows && !world.walls[y][x];
}

/** A random free tile. */
export function freeTile(world) {
  for (;;) {
    const x = Math.floor(world.rand() * world.cols);
    const y = Math.floor(world.rand() * world.rows);
    if (isFree(world, x, y)) return { x, y };
  }
}

/** Send an avatar to a tile (ignored when the tile is a wall). */
export function moveTo(avatar, world, x, y) {
  if (isFree(world, x, y)) avatar.target = { x, y };
}

/** The other avatars within `radius` tiles of `avatar`, nearest first. */
export function nearby(world, avatar, radius) {
  return world.avatars
    .filter((o) => o !== avatar && Math.hypot(o.x - avatar.x, o.y - avatar.y) <= radius)
    .sort((a, b) => Math.hypot(a.x - avatar.x, a.y - avatar.y) - Math.hypot(b.x - avatar.x, b.y - avatar.y));
}

/** Show `text` in a bubble above the avatar for `seconds` of world time. */
export function say(world, avatar, text, seconds = 3) {
  avatar.speech = { text, until: world.time + seconds };
}

/** Advance the world by `dt` seconds: each avatar walks towards its target; the others pick a new one on arrival. */
export function step(world, dt) {
  world.time += dt;
  for (const a of world.avatars) {
    if (a.speech && a.speech.until <= world.time) a.speech = null;
    const dx = a.target.x - a.x;
    const dy = a.target.y - a.y;
    const dist = Math.hypot(dx, dy);
    if (dist < 0.05) {
      a.x = a.target.x;
      a.y = a.target.y;
      if (!a.player && world.rand() < 0.5) a.target = freeTile(world);
      continue;
    }
    const reach = Math.min(dist, a.speed * dt);
    const nx = a.x + (dx / dist) * reach;
    const ny = a.y + (dy / dist) * reach;
    // Slide along a wall: take whichever axis stays on free ground, else give up on this target.
    if (isFree(world, Math.round(nx), Math.round(ny))) {
      a.x = nx;
      a.y = ny;
    } else if (isFree(world, Math.round(nx), Math.round(a.y))) a.x = nx;
    else if (isFree(world, Math.round(a.x), Math.round(ny))) a.y = ny;
    else a.target = { x: Math.round(a.x), y: Math.round(a.y) };
  }
}
