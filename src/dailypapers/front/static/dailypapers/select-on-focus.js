// A field marked data-select-on-focus selects its whole value when focused (a new API token, to copy).
// A file of its own, not an onfocus attribute: the Content-Security-Policy runs no inline script.
document.addEventListener("focusin", (event) => {
  if (event.target.matches("[data-select-on-focus]")) event.target.select();
});
