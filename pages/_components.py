"""Custom components (Streamlit components v2: inline HTML/CSS/JS, no build step).

The digit grid draws a page of thumbnails as one element and reports the clicked digit,
instead of 24 images and 24 buttons that the browser would redraw on every click.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from distill.pictures import ink_pixels, png_uri

GRID_CSS = """
.grid { display: grid; grid-template-columns: repeat(var(--cols), 1fr); gap: 6px; }
.cell { border: 1px solid #ddd; border-radius: 8px; background: white; padding: 4px 2px 2px;
        cursor: pointer; display: flex; flex-direction: column; align-items: center;
        font: 12px/1.3 sans-serif; color: #444; }
.cell:hover { border-color: #d62728; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
.cell.on { border: 2px solid #d62728; background: #fde0dd; }
.cell img { width: 100%; max-width: 72px; image-rendering: pixelated; aspect-ratio: 1; }
.cell .off { color: #d62728; font-weight: 600; }
.pager { display: flex; align-items: center; gap: 8px; margin-top: 8px;
         font: 13px sans-serif; color: #666; }
.pager span { flex: 1; text-align: center; }
.pager button { border: 1px solid #ccc; background: white; border-radius: 8px;
                padding: 4px 14px; font: 13px sans-serif; cursor: pointer; color: #333; }
.pager button:hover:not(:disabled) { border-color: #d62728; color: #d62728; }
.pager button:disabled { color: #bbb; cursor: default; }
"""

GRID_JS = """
export default function(component) {
  const { data, setTriggerValue, parentElement } = component;
  let root = parentElement.querySelector('.grid');
  if (!root) {
    root = document.createElement('div');
    root.className = 'grid';
    const pager = document.createElement('div');
    pager.className = 'pager';
    pager.innerHTML = '<button class="prev" type="button">◀ Page</button><span></span>' +
                      '<button class="next" type="button">Page ▶</button>';
    parentElement.append(root, pager);
  }
  const pager = parentElement.querySelector('.pager');
  const prev = pager.querySelector('.prev'), next = pager.querySelector('.next');
  prev.disabled = data.page <= 0;
  next.disabled = data.page >= data.pages - 1;
  prev.onclick = () => setTriggerValue('page', data.page - 1);
  next.onclick = () => setTriggerValue('page', data.page + 1);
  pager.querySelector('span').textContent = data.caption;
  root.style.setProperty('--cols', data.columns);
  root.replaceChildren(...data.cells.map((c) => {
    const b = document.createElement('button');
    b.className = 'cell' + (c.index === data.selected ? ' on' : '');
    b.dataset.index = c.index;
    b.title = c.title;
    b.setAttribute('aria-label', c.title);
    const img = document.createElement('img');
    img.src = c.src;
    img.alt = '';
    const label = document.createElement('span');
    label.textContent = c.label;
    if (c.differ) label.className = 'off';
    b.append(img, label);
    b.onclick = () => setTriggerValue('clicked', c.index);
    return b;
  }));
}
"""

_grid = st.components.v2.component("distill_digit_grid", css=GRID_CSS, js=GRID_JS)


def png_data_uri(image: np.ndarray) -> str:
    """A small grey PNG (dark ink on white) as a data: URI."""
    return png_uri(ink_pixels(image))  # the same ink as every other picture


def digit_grid(cells: list[dict], selected: int, columns: int, page: int, pages: int,
               caption: str, key: str, on_click, on_page) -> None:
    """A page of the grid with its own page buttons: ``cells`` are [{"index", "src",
    "label", "differ", "title"}]; ``on_click`` reads ``st.session_state[key]["clicked"]``,
    ``on_page`` ``st.session_state[key]["page"]`` (the page asked for)."""
    _grid(data={"cells": cells, "selected": int(selected), "columns": columns, "page": page,
                "pages": pages, "caption": caption}, key=key, on_clicked_change=on_click,
          on_page_change=on_page)


PAD_CSS = """
.pad { display: flex; flex-direction: column; gap: 8px; max-width: 340px; }
.pad canvas { width: 100%; aspect-ratio: 1; border: 2px solid #ccc; border-radius: 10px;
              background: white; touch-action: none; cursor: crosshair; }
.pad .tools { display: flex; align-items: center; gap: 8px; font: 13px sans-serif; color: #444; }
.pad .tools input { flex: 1; accent-color: #d62728; }
.pad button { border: 1px solid #ccc; background: white; border-radius: 6px; padding: 4px 10px;
              font: 13px sans-serif; cursor: pointer; }
.pad button:hover { border-color: #d62728; color: #d62728; }
.pad button.on { border-color: #d62728; background: #fde0dd; color: #d62728; }
"""

PAD_JS = """
export default function(component) {
  const { data, setStateValue, parentElement } = component;
  let pad = parentElement.querySelector('.pad');
  if (!pad) {
    pad = document.createElement('div');
    pad.className = 'pad';
    pad.innerHTML = `
      <canvas width="280" height="280" aria-label="drawing area: draw a digit"></canvas>
      <div class="tools">
        <label for="brush">Brush</label>
        <input id="brush" type="range" min="4" max="40" step="1">
        <button class="erase" type="button" aria-pressed="false"
                title="Strokes remove ink instead of adding it">Erase</button>
        <button class="undo" type="button">Undo</button>
        <button class="clear" type="button"></button>
      </div>`;
    parentElement.appendChild(pad);
    const canvas = pad.querySelector('canvas');
    const ctx = canvas.getContext('2d');
    const brush = pad.querySelector('#brush');
    const erase = pad.querySelector('.erase');
    brush.value = data.brush;
    // a digit to edit: painted under the strokes, pixel for pixel ("Reset" returns to it)
    const start = data.start ? new Image() : null;
    pad.querySelector('.clear').textContent = start ? 'Reset' : 'Clear';
    const strokes = [];
    let current = null;
    const paint = () => {
      ctx.fillStyle = 'white';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      if (start && start.complete) {
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(start, 0, 0, canvas.width, canvas.height);
      }
      ctx.lineCap = 'round';
      ctx.lineJoin = 'round';
      for (const s of strokes) {
        ctx.strokeStyle = s.erase ? '#fff' : '#111';
        ctx.lineWidth = s.size;
        ctx.beginPath();
        s.points.forEach(([x, y], i) => i ? ctx.lineTo(x, y) : ctx.moveTo(x, y));
        if (s.points.length === 1) ctx.lineTo(s.points[0][0] + 0.1, s.points[0][1]);
        ctx.stroke();
      }
    };
    const send = () => setStateValue('image', strokes.length ? canvas.toDataURL('image/png') : '');
    const at = (e) => {
      const r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width,
              (e.clientY - r.top) * canvas.height / r.height];
    };
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      current = { size: Number(brush.value), erase: erase.classList.contains('on'),
                  points: [at(e)] };
      strokes.push(current);
      paint();
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!current) return;
      current.points.push(at(e));
      paint();
    });
    const end = () => { if (current) { current = null; send(); } };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    erase.onclick = () => {
      const on = erase.classList.toggle('on');
      erase.setAttribute('aria-pressed', String(on));
    };
    pad.querySelector('.undo').onclick = () => { strokes.pop(); paint(); send(); };
    pad.querySelector('.clear').onclick = () => { strokes.length = 0; paint(); send(); };
    if (start) { start.onload = paint; start.src = data.start; }
    paint();
  }
}
"""

_pad = st.components.v2.component("distill_drawing_pad", css=PAD_CSS, js=PAD_JS)


def drawing_pad(key: str, brush: int = 20, start: np.ndarray | None = None) -> str:
    """A canvas for mouse, pen and touch; returns the drawing as a PNG data URI ('' if none).

    ``start``: an image (H, W) in [0, 1] put on the pad to be edited (key the pad to it: a
    new picture needs a new pad); '' then means it is untouched. The drawing reaches Python
    when a stroke ends (and after Undo, Clear or Reset)."""
    data = {"brush": brush, "start": png_data_uri(start) if start is not None else ""}
    result = _pad(data=data, key=key, default={"image": ""}, on_image_change=lambda: None)
    return result.image or ""


COOKIE_JS = """
export default function(component) {
  const { data } = component;
  const name = encodeURIComponent(data.name);
  if (!document.cookie.split('; ').some((c) => c.startsWith(name + '='))) {
    document.cookie = `${name}=${encodeURIComponent(data.value)}; path=/; ` +
      `max-age=${data.max_age}; SameSite=Strict`;
  }
}
"""

_cookie = st.components.v2.component("distill_cookie", js=COOKIE_JS)


def set_cookie(name: str, value: str, max_age: int = 365 * 24 * 3600) -> None:
    """Set a cookie in the browser (unless it has one of that name): draws nothing."""
    _cookie(data={"name": name, "value": value, "max_age": max_age}, key=f"cookie-{name}")
