// The controller's version, written into every receipt (environment.glasshouse_version).
export const GLASSHOUSE_VERSION = '0.3.0';
