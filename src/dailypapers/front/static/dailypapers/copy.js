// Buttons marked data-copy="<id>" copy that element's text (the paper page's BibTeX). Without
// script they stay hidden and the text is there to select; a file of its own, as the
// Content-Security-Policy runs no inline script.
document.querySelectorAll("[data-copy]").forEach((button) => {
  if (!navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    const status = button.parentElement.querySelector("[data-copied]");
    try {
      await navigator.clipboard.writeText(source.textContent);
      if (status) status.textContent = "Copied.";
    } catch (error) {
      if (status) status.textContent = "Could not copy: select the text instead.";
    }
  });
});
