// Print buttons (inline handlers are blocked by the Content Security Policy).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
