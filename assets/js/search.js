// The search page works as a plain page without JavaScript; with it, Pagefind's search box replaces the fallback text.
// A search is in the address (/search/?q=Lyon): it can be linked to, bookmarked and reloaded.
// The index is in shards (explainer/search.py): <root>/pagefind/shards/pagefind.js (the box's data-bundle) is Pagefind's API
// over them all, one index per language of the site.
window.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") {
    return;
  }
  // PagefindUI shows filters and metadata by their keys in the index, the first letter capitalised ("tag": "Tag"); those
  // whose name in the page's language reads otherwise are renamed, the filters by the merged API (explainer/search.py),
  // which searches the index by its own keys.
  var names = JSON.parse(box.getAttribute("data-names") || "{}");
  var renamed = {};
  Object.keys(names).forEach(function (key) {
    if (names[key] !== key.replace(/^(\w)/, function (c) { return c.toLocaleUpperCase(); })) {
      renamed[key] = names[key];
    }
  });
  var ui = new PagefindUI({
    element: "#search", bundlePath: box.getAttribute("data-bundle"), showSubResults: true, showImages: false, resetStyles: false,
    excerptLength: 30, // words; with links to headings Pagefind's own is 12, which cuts most sentences short
    // Its words in the page's language, from the site's catalogue (templates/search.html): Pagefind has none in some.
    translations: JSON.parse(box.getAttribute("data-words") || "{}"),
    filterNames: renamed,
    processResult: function (result) {
      var meta = {};
      Object.keys(result.meta).forEach(function (key) {
        meta[renamed[key] || key] = result.meta[key];
      });
      result.meta = meta;
      return result;
    },
  });
  var input = box.querySelector("input");
  if (input) {
    // Pagefind names its input only by a tooltip; screen readers need a real label.
    input.setAttribute("aria-label", box.getAttribute("data-label"));
    input.addEventListener("input", function () {
      var url = new URL(window.location.href);
      if (input.value.trim()) {
        url.searchParams.set("q", input.value);
      } else {
        url.searchParams.delete("q");
      }
      history.replaceState(history.state, "", url);
    });
  }
  var asked = new URLSearchParams(window.location.search).get("q");
  if (asked) {
    ui.triggerSearch(asked);
  }
  document.getElementById("search-fallback").hidden = true;
});
