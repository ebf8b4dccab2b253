// dcmjs ships no TypeScript types; the tests use it loosely.
declare module 'dcmjs';
