import { createContext, useContext } from "react";

const NonceContext = createContext<string>("");

/** Carries the request's Content-Security-Policy nonce to the scripts Remix renders. */
export const NonceProvider = NonceContext.Provider;

export function useNonce() {
  return useContext(NonceContext);
}
