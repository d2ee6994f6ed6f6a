/**
 * The account (domain), project and service ids the tests and benchmarks share: the owner, an
 * allowed partner, a denied account, a stranger no rule lists, and the payments service.
 */
export const OWNER = '6e9dfd51d1124e8d8498dce894923a0d';
export const PARTNER = '5fc973eea581490997e82ea11a1df31f';
export const DENIED = 'ffffffffffffffffffffffffffffffff';
export const STRANGER = '1234567890abcdef1234567890abcdef';
export const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
/** The service the example policies' `payments` rule matches by id. */
export const PAYMENTS = '4189d3c2-8882-4871-a3c2-d380272eed88';
/** A service no rule of the examples matches. */
export const UNMANAGED = '9d0c1b2a-0000-4000-8000-000000000001';
