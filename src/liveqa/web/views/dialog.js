// @ts-check
/** Modal dialogs on the native <dialog>: focus kept inside, Escape cancels, errors shown inside. */

import { h, setText } from "../dom.js";
/** @import { Child } from "../types.js" */

let counter = 0;

/**
 * Open a modal dialog. `body` is a list of nodes placed in its form; `submitLabel` names the
 * main button, in the danger style when `destructive`; `onSubmit()` may return a promise (the
 * dialog shows it is busy meanwhile) and closes the dialog unless it throws, whose message is
 * then shown inside. Returns `{element, close}`.
 * @param {object} options
 * @param {string} options.title
 * @param {Child[]} options.body
 * @param {string} options.submitLabel
 * @param {() => unknown} options.onSubmit
 * @param {boolean} [options.destructive]
 * @returns {{element: HTMLDialogElement, close: () => void}}
 */
export function openDialog({ title, body, submitLabel, onSubmit, destructive = false }) {
  counter += 1;
  const titleId = `dialog-title-${counter}`;
  const errorId = `dialog-error-${counter}`;
  const error = h("p", { class: "error", id: errorId, role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: destructive ? "danger" : "primary", text: submitLabel });
  const cancel = h("button", { type: "button", class: "secondary", text: "Cancel" });
  const form = h(
    "form",
    { method: "dialog", class: "dialog-form", novalidate: true },
    h("h2", { id: titleId, text: title }),
    body,
    error,
    h("div", { class: "dialog-actions" }, submit, cancel),
  );
  const dialog = h("dialog", { "aria-labelledby": titleId, "aria-describedby": errorId }, form);
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
  };
  /** @param {string | null | undefined} message */
  const showError = (message) => {
    setText(error, message ?? "");
    error.hidden = !message;
  };

  cancel.addEventListener("click", close);
  dialog.addEventListener("close", close);
  // A click on the backdrop lands on the <dialog> itself, outside the form.
  dialog.addEventListener("click", (/** @type {Event} */ event) => {
    if (event.target === dialog) close();
  });
  form.addEventListener("submit", async (/** @type {Event} */ event) => {
    event.preventDefault();
    if (submit.disabled) return;
    showError(null);
    submit.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      await onSubmit();
      close();
    } catch (failure) {
      showError(/** @type {Error} */ (failure).message);
    } finally {
      submit.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });

  document.body.append(dialog);
  dialog.showModal();
  return { element: dialog, close };
}

/**
 * A labelled field: `<label>` then the control, with an optional hint under it.
 * @param {string} label
 * @param {HTMLElement} control
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  counter += 1;
  if (!control.id) control.id = `field-${counter}`;
  const parts = [h("label", { for: control.id, text: label }), control];
  if (hint) {
    const hintId = `${control.id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId, text: hint }));
  }
  return h("div", { class: "field" }, parts);
}
