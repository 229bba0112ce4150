// PostGraphile 5.1 / grafast 1.1 declare engines node >= 22 and call Promise.withResolvers() (V8 12).
// On Node 20 every database-backed field then fails with "Cannot read properties of undefined
// (reading 'items')". The peer server is started with `node --import ./node20-polyfills.mjs`.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
