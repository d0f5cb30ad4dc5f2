() => {
  // After every reply, show the START of the newest answer (not the end of its sources):
  // scroll the chat box so the reply's first line is at its top, then the page so the chat
  // box sits just below the sticky emergency strip. Runs for typed, clicked and example
  // questions alike because it watches the chat instead of hooking one button.
  let replies = 0;
  let finished = 0;
  const scroller = (el) => {
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      const style = getComputedStyle(node).overflowY;
      if ((style === "auto" || style === "scroll") && node.scrollHeight > node.clientHeight) return node;
    }
    return null;
  };
  const show = (reply) => {
    const box = scroller(reply);
    if (box) box.scrollTop += reply.getBoundingClientRect().top - box.getBoundingClientRect().top - 12;
    const strip = document.querySelector("#emergency-wrap");
    const below = strip ? Math.max(0, strip.getBoundingClientRect().bottom) : 0;
    const top = reply.getBoundingClientRect().top;
    if (top < below + 4 || top > window.innerHeight - 120) window.scrollBy(0, top - below - 12);
  };
  const check = () => {
    const all = document.querySelectorAll("#chatbot .reply");
    const done = document.querySelectorAll("#chatbot .reply:not(.streaming)");
    if (all.length > replies || done.length > finished) {
      const last = all[all.length - 1];
      if (last) requestAnimationFrame(() => show(last));
    }
    replies = all.length;
    finished = done.length;
  };
  // A gap in Gradio's own markup that axe-core reports as serious: an empty image/file box
  // carries aria-label without a role (it shows an icon, so it is an image).
  const repair = () => {
    document.querySelectorAll(".unpadded_box.empty[aria-label]:not([role])").forEach((el) => {
      el.setAttribute("role", "img");
    });
  };
  new MutationObserver(() => {
    check();
    repair();
  }).observe(document.body, { childList: true, subtree: true });
}
