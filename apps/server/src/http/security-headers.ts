import type { HelmetOptions } from "helmet";

/**
 * helmet's headers (nosniff, no framing, no referrer leaks...) with a Content-Security-Policy the
 * API docs page lives within: swagger-ui is served from this origin (no CDN, no inline script),
 * styles its widgets inline and shows data: images. JSON answers carry the same policy, harmless.
 */
export function securityHeaders(production: boolean): HelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", "data:"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", "data:"],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        // Only behind TLS: in development the page is plain http://localhost.
        ...(production ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    xFrameOptions: { action: "deny" },
    strictTransportSecurity: production,
  };
}
