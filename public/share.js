// "Copy link" buttons ([data-copy]) on the card pages. The public card page
// loads no WASM, so this small script does it for every page; a click is
// caught on the document, so buttons rendered later work too.
document.documentElement.classList.add("js");
document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const label = button.textContent;
    const say = (text) => {
        button.textContent = text;
        setTimeout(() => { button.textContent = label; }, 2000);
    };
    navigator.clipboard.writeText(button.dataset.copy).then(
        () => say("Link copied"),
        () => say("Could not copy: select the address"),
    );
});
