export const id = 278;
export const ids = [278];
export const modules = {

/***/ 8278:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  proxyTransport: () => (/* binding */ proxyTransport)
});

// UNUSED EXPORTS: undiciTransport

// EXTERNAL MODULE: ./build/retab/errors.js
var errors = __webpack_require__(7348);
// EXTERNAL MODULE: ./build/retab/proxy.js
var proxy = __webpack_require__(23);
// EXTERNAL MODULE: ./node_modules/undici/lib/api/index.js
var api = __webpack_require__(6615);
// EXTERNAL MODULE: ./node_modules/undici/lib/dispatcher/dispatcher.js
var dispatcher = __webpack_require__(883);
// EXTERNAL MODULE: ./node_modules/undici/lib/dispatcher/env-http-proxy-agent.js
var env_http_proxy_agent = __webpack_require__(3137);
// EXTERNAL MODULE: ./node_modules/undici/lib/dispatcher/pool.js
var pool = __webpack_require__(628);
;// CONCATENATED MODULE: ./build/retab/undici.js




// What undici's entry does once: every dispatcher gets `request`, `stream` and the rest.
Object.assign(dispatcher.prototype, api);
const EnvHttpProxyAgent = env_http_proxy_agent;
const Pool = pool;
/** undici's `request(url, options)`, for a URL and a dispatcher given. */
function request(url, options) {
    const { dispatcher, ...rest } = options;
    return dispatcher.request({ ...rest, origin: url.origin, path: `${url.pathname}${url.search}` });
}
//# sourceMappingURL=undici.js.map
;// CONCATENATED MODULE: ./build/retab/proxy-transport.js



/** The time the proxy has to answer a CONNECT, as long as a connection has to be made. */
const TUNNEL_TIMEOUT_MS = 10_000;
function proxyTransport(env) {
    const { httpProxy, httpsProxy, noProxy } = (0,proxy/* proxySettings */.EM)(env);
    // Passing `undefined` would make undici read process.env itself; '' means "no proxy" there too.
    const agent = () => new EnvHttpProxyAgent({ httpProxy: httpProxy ?? '', httpsProxy: httpsProxy ?? '', noProxy, clientFactory: tunnelClient });
    return undiciTransport(agent(), agent());
}
/**
 * The client to the proxy, which asks it for each tunnel (CONNECT). Left to itself, undici waits
 * 5 minutes for the answer, and takes a CONNECT the proxy drops (closes unanswered, or answers with
 * a 101) for a passing fault, asking again at once, forever: thousands of CONNECTs a second. Here
 * the answer must come within `TUNNEL_TIMEOUT_MS`, and a CONNECT that fails once the proxy is
 * reached (dropped, unanswered, garbled) fails the request with `PROXY_TUNNEL_FAILED`, which the
 * client retries with its backoff. No tunnel, no request: nothing reached Retab, so even a start
 * may be sent again. (A proxy's refusal, a CONNECT answered but not with 200, is told apart later,
 * by undici's proxy agent: see `refusedTunnelStatus`.)
 */
function tunnelClient(origin, options) {
    const pool = new Pool(origin, { ...options, headersTimeout: TUNNEL_TIMEOUT_MS });
    const connect = pool.connect.bind(pool);
    const tunnel = (connectOptions) => connect(connectOptions).catch((error) => Promise.reject(tunnelFailure(error)));
    pool.connect = ((connectOptions, callback) => {
        if (!callback)
            return tunnel(connectOptions);
        tunnel(connectOptions).then((data) => callback(null, data), (error) => callback(error, null));
    });
    return pool;
}
/**
 * Why the CONNECT failed, as the client should take it: as it is when the proxy could not be
 * reached (already "never sent") or its certificate was refused (not worth retrying), else
 * `PROXY_TUNNEL_FAILED` with the reason in its message.
 */
function tunnelFailure(error) {
    const code = error?.code;
    if (typeof code === 'string' && (errors/* NEVER_SENT_CODES */.H5.has(code) || errors/* CERTIFICATE_CODES */.jL.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')))
        return error;
    const reason = typeof code === 'string' ? code : error instanceof Error ? error.message : 'no reason given';
    return Object.assign(new Error(`the proxy did not open the tunnel (${reason})`, { cause: error }), { code: 'PROXY_TUNNEL_FAILED' });
}
/**
 * Any undici dispatcher as a transport; closing the transport destroys the dispatchers. GETs share
 * kept-alive connections. Any other request goes through `once` on a connection closed after it: a
 * POST is not idempotent, and on a kept-alive connection the server may be closing just then, which
 * would leave unknown whether it started a run (the direct transport does the same).
 */
function undiciTransport(dispatcher, once = dispatcher) {
    return {
        async request(url, { method, headers, body, signal }) {
            const reused = method === 'GET';
            const answer = await untilAborted(request(url, { method, dispatcher: reused ? dispatcher : once, reset: !reused, signal, headers, body }), signal);
            return { statusCode: answer.statusCode, headers: answer.headers, body: answer.body };
        },
        async close() {
            await Promise.all([dispatcher.destroy(), once === dispatcher ? undefined : once.destroy()]);
        },
    };
}
/**
 * The answer, or the signal's reason as soon as it aborts: undici heeds an abort only once the
 * request has a connection, and opening one through a proxy can take long. The request left behind
 * ends with the transport; an answer that still comes is dropped.
 */
function untilAborted(answer, signal) {
    return new Promise((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        if (signal.aborted)
            onAbort();
        else
            signal.addEventListener('abort', onAbort, { once: true });
        answer.then((data) => {
            signal.removeEventListener('abort', onAbort);
            if (signal.aborted)
                data.body.destroy();
            else
                resolve(data);
        }, (error) => {
            signal.removeEventListener('abort', onAbort);
            reject(error);
        });
    });
}
//# sourceMappingURL=proxy-transport.js.map

/***/ })

};
