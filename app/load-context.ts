declare module "@remix-run/node" {
  interface AppLoadContext {
    /** The Content-Security-Policy nonce for this response's inline scripts. */
    cspNonce: string;
  }
  interface Future {
    v3_singleFetch: true;
  }
}

export {};
