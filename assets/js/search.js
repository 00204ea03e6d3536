// The search page works as a plain page without JavaScript; with it, Pagefind's search box replaces the fallback text.
window.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") {
    return;
  }
  new PagefindUI({ element: "#search", showSubResults: true, showImages: false, resetStyles: false });
  // Pagefind names its input only by a tooltip; screen readers need a real label.
  var input = box.querySelector("input");
  if (input) {
    input.setAttribute("aria-label", box.getAttribute("data-label"));
  }
  document.getElementById("search-fallback").hidden = true;
});
