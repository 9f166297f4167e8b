/* The QR label sheet: the toolbar's button prints the page (no inline handlers: CSP). */
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});
