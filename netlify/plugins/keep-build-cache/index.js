// Keeps the generator's .cache/ (validated files, rendered Markdown, processed photos and
// social cards) between Netlify builds, so a deploy renders only what changed since the last
// one instead of starting cold. The cache is safe to lose: a build without it starts over.
const CACHE = ".cache";

module.exports = {
  async onPreBuild({ utils }) {
    if (await utils.cache.restore(CACHE)) {
      console.log(`Restored ${CACHE}/ from the last build`);
    }
  },
  // Only after a build that succeeded: a failed one leaves the cache it started from.
  async onPostBuild({ utils }) {
    await utils.cache.save(CACHE);
  },
};
