/**
 * Strict base64url (RFC 4648 §5) without padding, as WebAuthn's JSON forms use it.
 * No DOM dependency: works in browsers, Node, React Native and workers.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = {};
for (let i = 0; i < ALPHABET.length; i++)
    LOOKUP[ALPHABET[i]] = i;
/** Bytes to base64url, no padding. */
export function toBase64url(data) {
    const b = data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let out = '';
    let i = 0;
    for (; i + 2 < b.length; i += 3) {
        const n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
        out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
    }
    const rest = b.length - i;
    if (rest === 1) {
        const n = b[i] << 16;
        out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63];
    }
    else if (rest === 2) {
        const n = (b[i] << 16) | (b[i + 1] << 8);
        out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63];
    }
    return out;
}
/**
 * base64url to bytes. Refuses padding, the standard alphabet (`+`, `/`), whitespace, an
 * impossible length (4n+1) and non-zero trailing bits, so that every string has exactly one
 * decoding, as the server requires.
 */
export function fromBase64url(text) {
    if (typeof text !== 'string')
        throw new TypeError('base64url: expected a string');
    const len = text.length;
    if (len % 4 === 1)
        throw new TypeError('base64url: impossible length');
    const out = new Uint8Array(Math.floor((len * 3) / 4));
    let o = 0;
    let acc = 0;
    let bits = 0;
    for (let i = 0; i < len; i++) {
        const v = LOOKUP[text[i]];
        if (v === undefined)
            throw new TypeError(`base64url: invalid character at ${i}`);
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (acc >> bits) & 255;
        }
    }
    if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) {
        throw new TypeError('base64url: non-zero trailing bits');
    }
    return out.buffer.slice(0, o);
}
