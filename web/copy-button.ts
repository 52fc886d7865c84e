// Copy buttons: <button data-copy-text="…" data-copied="…" data-copy-failed="…" aria-describedby="STATUS" hidden>
// copies its text to the clipboard and says what happened in the element named by aria-describedby (a live
// region). The buttons stay hidden where this script does not run: the page still shows the text and a download.
for (const button of document.querySelectorAll<HTMLButtonElement>("button[data-copy-text]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const status = document.getElementById(button.getAttribute("aria-describedby") ?? "");
    try {
      await navigator.clipboard.writeText(button.dataset.copyText ?? "");
      if (status) status.textContent = button.dataset.copied ?? "";
    } catch {
      if (status) status.textContent = button.dataset.copyFailed ?? "";
    }
  });
}
