/**
 * In development: this adapter is not implemented yet and the package is not published.
 * @module
 */
export {};
