// The feed's date picker (a GET form that works without script): with script, picking a date goes there.
document.addEventListener("change", (event) => {
  const input = event.target;
  if (input.matches("input[data-go-on-change]") && input.value && input.checkValidity()) {
    input.form.requestSubmit();
  }
});
