// Keeps the generator's .cache/ (validated files, rendered Markdown, processed photos and
// social cards, and check's own copy of the site) between Netlify builds, so a deploy makes
// none of them again for what did not change. _site/ itself starts empty on each deploy: its
// pages are rendered again from the cached Markdown. The cache is safe to lose: a build
// without it starts over.
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
