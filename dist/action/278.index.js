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

// EXTERNAL MODULE: ./build/retab/proxy.js
var proxy = __webpack_require__(23);
// EXTERNAL MODULE: ./node_modules/undici/lib/api/index.js
var api = __webpack_require__(6615);
// EXTERNAL MODULE: ./node_modules/undici/lib/dispatcher/dispatcher.js
var dispatcher = __webpack_require__(883);
// EXTERNAL MODULE: ./node_modules/undici/lib/dispatcher/env-http-proxy-agent.js
var env_http_proxy_agent = __webpack_require__(3137);
;// CONCATENATED MODULE: ./build/retab/undici.js



// What undici's entry does once: every dispatcher gets `request`, `stream` and the rest.
Object.assign(dispatcher.prototype, api);
const EnvHttpProxyAgent = env_http_proxy_agent;
/** undici's `request(url, options)`, for a URL and a dispatcher given. */
function request(url, options) {
    const { dispatcher, ...rest } = options;
    return dispatcher.request({ ...rest, origin: url.origin, path: `${url.pathname}${url.search}` });
}
//# sourceMappingURL=undici.js.map
;// CONCATENATED MODULE: ./build/retab/proxy-transport.js


function proxyTransport(env) {
    const { httpProxy, httpsProxy, noProxy } = (0,proxy/* proxySettings */.EM)(env);
    // Passing `undefined` would make undici read process.env itself; '' means "no proxy" there too.
    return undiciTransport(new EnvHttpProxyAgent({ httpProxy: httpProxy ?? '', httpsProxy: httpsProxy ?? '', noProxy }));
}
/** Any undici dispatcher as a transport; closing the transport destroys the dispatcher. */
function undiciTransport(dispatcher) {
    return {
        async request(url, { method, headers, body, signal }) {
            const answer = await request(url, { method, dispatcher, signal, headers, body });
            return { statusCode: answer.statusCode, headers: answer.headers, body: answer.body };
        },
        async close() {
            await dispatcher.destroy();
        },
    };
}
//# sourceMappingURL=proxy-transport.js.map

/***/ })

};
