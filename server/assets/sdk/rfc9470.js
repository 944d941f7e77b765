/**
 * RFC 9470 (OAuth 2.0 Step Up Authentication Challenge): read
 * `WWW-Authenticate: Bearer error="insufficient_user_authentication", acr_values="phr", max_age="300"`.
 * No DOM dependency.
 */
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/**
 * Parses a `WWW-Authenticate` header value into its challenges. Lenient about whitespace,
 * strict about structure: on malformed input it returns what it parsed before the fault.
 */
export function parseWwwAuthenticate(header) {
    const s = header;
    let i = 0;
    const out = [];
    const ws = () => {
        while (i < s.length && (s[i] === ' ' || s[i] === '\t'))
            i++;
    };
    const token = () => {
        const start = i;
        while (i < s.length && TCHAR.test(s[i]))
            i++;
        return s.slice(start, i);
    };
    const quoted = () => {
        if (s[i] !== '"')
            return undefined;
        i++;
        let v = '';
        while (i < s.length) {
            const c = s[i];
            if (c === '\\' && i + 1 < s.length) {
                v += s[i + 1];
                i += 2;
            }
            else if (c === '"') {
                i++;
                return v;
            }
            else {
                v += c;
                i++;
            }
        }
        return undefined; // unterminated
    };
    for (;;) {
        // skip empty list elements
        while (i < s.length && (s[i] === ',' || s[i] === ' ' || s[i] === '\t'))
            i++;
        if (i >= s.length)
            return out;
        const scheme = token();
        if (!scheme)
            return out;
        const ch = { scheme: scheme.toLowerCase(), params: {} };
        out.push(ch);
        ws();
        // token68?
        const save = i;
        const t68 = /^[A-Za-z0-9\-._~+/]+=*/.exec(s.slice(i));
        if (t68) {
            let j = i + t68[0].length;
            while (j < s.length && (s[j] === ' ' || s[j] === '\t'))
                j++;
            if (j >= s.length || s[j] === ',') {
                // token68 only if it is not the name of an auth-param
                if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s*=\s*("|[!#$%&'*+\-.^_`|~0-9A-Za-z])/.test(s.slice(i))) {
                    ch.token68 = t68[0];
                    i = j;
                    continue;
                }
            }
        }
        i = save;
        // auth-params
        for (;;) {
            ws();
            const before = i;
            const name = token();
            ws();
            if (!name || s[i] !== '=') {
                // not a parameter: the start of the next challenge (or garbage)
                i = before;
                break;
            }
            i++;
            ws();
            let value;
            if (s[i] === '"') {
                value = quoted();
                if (value === undefined)
                    return out;
            }
            else {
                value = token();
            }
            ch.params[name.toLowerCase()] = value;
            ws();
            if (s[i] === ',') {
                i++;
                // a comma may separate params, or end this challenge: look ahead for `name =`
                ws();
                const look = i;
                const n2 = token();
                ws();
                const isParam = n2 !== '' && s[i] === '=';
                i = look;
                if (!isParam)
                    break;
            }
            else {
                break;
            }
        }
        if (i < s.length && s[i] !== ',' && !TCHAR.test(s[i]))
            return out; // garbage
    }
}
/**
 * Finds an RFC 9470 `insufficient_user_authentication` Bearer challenge in a
 * `WWW-Authenticate` header. Returns undefined when there is none.
 */
export function parseStepUpChallenge(header) {
    if (!header)
        return undefined;
    for (const ch of parseWwwAuthenticate(header)) {
        if (ch.scheme !== 'bearer' || ch.params.error !== 'insufficient_user_authentication')
            continue;
        const acr = ch.params.acr_values;
        const result = {
            acrValues: acr ? acr.split(/\s+/).filter(Boolean) : [],
            params: ch.params,
        };
        const ma = ch.params.max_age;
        if (ma !== undefined && /^\d+$/.test(ma))
            result.maxAge = Number(ma);
        return result;
    }
    return undefined;
}
/**
 * Calls a backend; when it answers 401/403 with an RFC 9470 `insufficient_user_authentication`
 * challenge, runs `stepUp(challenge)` and retries the request once with the new token.
 * Any other answer (including a second refusal) is returned as is.
 */
export async function fetchWithStepUp(input, init = {}, options) {
    const f = options.fetch ?? ((i, n) => fetch(i, n));
    if (init.body != null && typeof init.body.getReader === 'function') {
        throw new TypeError('fetchWithStepUp: a streamed body cannot be sent twice; pass a string, Blob, FormData or buffer');
    }
    const isRequest = typeof Request !== 'undefined' && input instanceof Request;
    const attempt = () => {
        const headers = new Headers(init.headers ?? (isRequest ? input.headers : undefined));
        const t = options.token?.();
        if (t)
            headers.set('authorization', `Bearer ${t}`);
        const req = isRequest ? input.clone() : input;
        return f(req, { ...init, headers });
    };
    const first = await attempt();
    if (first.status !== 401 && first.status !== 403)
        return first;
    const challenge = parseStepUpChallenge(first.headers.get('www-authenticate'));
    if (!challenge)
        return first;
    const go = await options.stepUp(challenge);
    if (go === false)
        return first;
    return attempt();
}
