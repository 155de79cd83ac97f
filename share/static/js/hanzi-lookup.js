// hanzi-lookup.js -- progressive enhancement of /hanzi/lookup.  Without it
// the page works through links and a GET form; with it, "Add to my name"
// adds the character in place and a button copies the name.
(function () {
  'use strict';
  var input = document.getElementById('hanzi-name');
  if (!input) return;

  function announce(text) {
    var status = document.getElementById('hanzi-live');
    if (!status) {
      status = document.createElement('p');
      status.id = 'hanzi-live';
      status.setAttribute('role', 'status');
      input.parentNode.appendChild(status);
    }
    status.textContent = text;
  }

  document.querySelectorAll('a[data-hanzi-char]').forEach(function (link) {
    link.addEventListener('click', function (ev) {
      var ch = link.getAttribute('data-hanzi-char');
      if (!ch || input.value.length >= 30) return; // fall back to the link
      ev.preventDefault();
      input.value += ch;
      var out = document.getElementById('hanzi-name-output');
      if (out) out.textContent = input.value;
      announce(input.value);
      input.focus();
    });
  });

  if (navigator.clipboard && window.isSecureContext) {
    var copy = document.createElement('button');
    copy.type = 'button';
    copy.className = 'button button--outline';
    copy.textContent = input.getAttribute('data-copy-label') || 'Copy';
    copy.addEventListener('click', function () {
      navigator.clipboard.writeText(input.value).then(function () {
        announce(input.getAttribute('data-copied-label') || 'Copied');
      });
    });
    input.parentNode.appendChild(copy);
  }
})();
