/** Request and answer types of the anshin HTTP API (see the server's `/openapi.json`). */
export {};
