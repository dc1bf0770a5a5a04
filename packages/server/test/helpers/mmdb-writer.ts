import { isIPv4, isIPv6 } from "node:net";

/**
 * A minimal MaxMind DB (MMDB 2.0) writer, enough to build small test
 * databases: an IPv6 search tree (IPv4 networks under ::/96, as GeoIP2
 * databases store them), 24-bit records, and a data section of maps,
 * arrays, UTF-8 strings and unsigned integers, written without pointers or
 * deduplication. Output is a pure function of the input (no clock, no
 * randomness), so a committed file can be compared with a fresh build.
 *
 * Format: https://maxmind.github.io/MaxMind-DB/ ("Search Tree Section",
 * "Data Section Separator", "Output Data Section", "Database Metadata").
 */

/** An integer to be written as uint16 (the metadata's versions, record size, IP version). */
export class Uint16 {
  constructor(readonly value: number) {}
}

/**
 * A value of the data section. A number is written as uint32, a bigint as
 * uint64, a `Uint16` as uint16: readers such as libmaxminddb check the
 * metadata's types exactly.
 */
export type MmdbValue =
  | Uint16
  | string
  | number
  | bigint
  | boolean
  | readonly MmdbValue[]
  | { readonly [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** CIDR, e.g. `192.0.2.0/24` or `2001:db8::/32`. Networks must not overlap. */
  readonly network: string;
  readonly data: { readonly [key: string]: MmdbValue };
}

export interface MmdbOptions {
  readonly databaseType: string;
  readonly description: string;
  /** Seconds since the epoch, written as `build_epoch`. */
  readonly buildEpoch: number;
  readonly languages?: readonly string[];
}

const RECORD_SIZE = 24;
const METADATA_MARKER = Buffer.from("abcdef4d61784d696e642e636f6d", "hex"); // \xAB\xCD\xEFMaxMind.com

// Data section type numbers (spec, "Output Data Section").
const UTF8 = 2;
const DOUBLE = 3;
const UINT16 = 5;
const UINT32 = 6;
const MAP = 7;
const UINT64 = 9;
const ARRAY = 11;
const BOOLEAN = 14;

/** The control byte(s) of a value: type in the top 3 bits (or extended), then the size. */
function control(type: number, size: number): Buffer {
  const extended = type > 7;
  const head = (extended ? 0 : type) << 5;
  let sizeBits: number;
  let sizeBytes: Buffer;
  if (size < 29) {
    sizeBits = size;
    sizeBytes = Buffer.alloc(0);
  } else if (size < 29 + 256) {
    sizeBits = 29;
    sizeBytes = Buffer.from([size - 29]);
  } else if (size < 285 + 65_536) {
    sizeBits = 30;
    sizeBytes = Buffer.alloc(2);
    sizeBytes.writeUInt16BE(size - 285);
  } else {
    sizeBits = 31;
    sizeBytes = Buffer.alloc(3);
    sizeBytes.writeUIntBE(size - 65_821, 0, 3);
  }
  return Buffer.concat([
    Buffer.from([head | sizeBits]),
    extended ? Buffer.from([type - 7]) : Buffer.alloc(0),
    sizeBytes,
  ]);
}

/** A big-endian unsigned integer in as few bytes as it needs (zero takes none). */
function unsignedBytes(value: bigint): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0n) {
    bytes.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  }
  return Buffer.from(bytes);
}

/** Encode one value of the data section. */
export function encodeValue(value: MmdbValue): Buffer {
  if (value instanceof Uint16) {
    if (!Number.isInteger(value.value) || value.value < 0 || value.value > 0xffff)
      throw new Error(`not a uint16: ${value.value}`);
    const bytes = unsignedBytes(BigInt(value.value));
    return Buffer.concat([control(UINT16, bytes.length), bytes]);
  }
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([control(UTF8, bytes.length), bytes]);
  }
  if (typeof value === "boolean") return control(BOOLEAN, value ? 1 : 0);
  if (typeof value === "number" && !Number.isInteger(value)) {
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value);
    return Buffer.concat([control(DOUBLE, 8), bytes]);
  }
  if (typeof value === "number" || typeof value === "bigint") {
    const big = BigInt(value);
    if (big < 0n) throw new Error(`negative integers are not supported: ${value}`);
    if (typeof value === "number" && big > 0xffffffffn)
      throw new Error(`too large for uint32 (pass a bigint for uint64): ${value}`);
    const bytes = unsignedBytes(big);
    return Buffer.concat([
      control(typeof value === "bigint" ? UINT64 : UINT32, bytes.length),
      bytes,
    ]);
  }
  if (Array.isArray(value)) {
    const items = value as readonly MmdbValue[];
    return Buffer.concat([control(ARRAY, items.length), ...items.map(encodeValue)]);
  }
  const entries = Object.entries(value as { readonly [key: string]: MmdbValue });
  return Buffer.concat([
    control(MAP, entries.length),
    ...entries.flatMap(([key, item]) => [encodeValue(key), encodeValue(item)]),
  ]);
}

/** The 128 bits of a network's address (IPv4 mapped into ::/96) and its prefix length. */
function bitsOf(cidr: string): { bits: number[]; prefix: number } {
  const [address = "", length = ""] = cidr.split("/");
  let bytes: number[];
  let prefix = Number(length);
  if (isIPv4(address)) {
    bytes = [...new Array<number>(12).fill(0), ...address.split(".").map(Number)];
    prefix += 96;
  } else if (isIPv6(address) && !address.includes(".")) {
    const [head = "", tail = ""] = address.split("::");
    const groups = (part: string) => (part === "" ? [] : part.split(":"));
    const h = groups(head);
    const t = groups(tail);
    const all = address.includes("::")
      ? [...h, ...new Array<string>(8 - h.length - t.length).fill("0"), ...t]
      : h;
    bytes = all.flatMap((g) => {
      const n = Number.parseInt(g, 16);
      return [n >> 8, n & 0xff];
    });
  } else {
    throw new Error(`not a network: ${cidr}`);
  }
  if (!Number.isInteger(prefix) || prefix < 1 || prefix > 128)
    throw new Error(`bad prefix: ${cidr}`);
  const bits = bytes.flatMap((byte) => [7, 6, 5, 4, 3, 2, 1, 0].map((i) => (byte >> i) & 1));
  return { bits, prefix };
}

/** A record of the search tree while it is built: a node, a data entry, or nothing. */
type Slot = { node: number } | { data: number } | null;

/**
 * Build a MaxMind DB file from non-overlapping networks.
 *
 * @example
 * writeMmdb([{ network: "192.0.2.0/24", data: { country: { iso_code: "XA" } } }],
 *   { databaseType: "Test-City", description: "test", buildEpoch: 1_767_225_600 });
 */
export function writeMmdb(networks: readonly MmdbNetwork[], options: MmdbOptions): Buffer {
  const nodes: [Slot, Slot][] = [[null, null]];
  const data: Buffer[] = [];
  const dataOffsets: number[] = [];
  let dataSize = 0;
  for (const { network, data: record } of networks) {
    const encoded = encodeValue(record);
    dataOffsets.push(dataSize);
    data.push(encoded);
    dataSize += encoded.length;
    const entry = data.length - 1;
    const { bits, prefix } = bitsOf(network);
    let node = 0;
    for (let depth = 0; depth < prefix; depth++) {
      const side = bits[depth] as 0 | 1;
      const slots = nodes[node]!;
      const slot = slots[side];
      if (depth === prefix - 1) {
        if (slot !== null) throw new Error(`overlapping network: ${network}`);
        slots[side] = { data: entry };
      } else if (slot === null) {
        nodes.push([null, null]);
        slots[side] = { node: nodes.length - 1 };
        node = nodes.length - 1;
      } else if ("node" in slot) {
        node = slot.node;
      } else {
        throw new Error(`overlapping network: ${network}`);
      }
    }
  }
  const nodeCount = nodes.length;
  // Record values: < nodeCount is a node; nodeCount is "no data"; above it,
  // nodeCount + 16 (the separator) + the offset in the data section.
  const recordValue = (slot: Slot): number =>
    slot === null
      ? nodeCount
      : "node" in slot
        ? slot.node
        : nodeCount + 16 + dataOffsets[slot.data]!;
  const tree = Buffer.alloc(nodeCount * 6);
  nodes.forEach(([left, right], index) => {
    const l = recordValue(left);
    const r = recordValue(right);
    if (Math.max(l, r) >= 2 ** RECORD_SIZE)
      throw new Error("database too large for 24-bit records");
    tree.writeUIntBE(l, index * 6, 3);
    tree.writeUIntBE(r, index * 6 + 3, 3);
  });
  const metadata = encodeValue({
    binary_format_major_version: new Uint16(2),
    binary_format_minor_version: new Uint16(0),
    build_epoch: BigInt(options.buildEpoch),
    database_type: options.databaseType,
    description: { en: options.description },
    ip_version: new Uint16(6),
    languages: [...(options.languages ?? ["en"])],
    node_count: nodeCount,
    record_size: new Uint16(RECORD_SIZE),
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...data, METADATA_MARKER, metadata]);
}
