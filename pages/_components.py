"""Custom components (Streamlit components v2: inline HTML/CSS/JS, no build step).

The digit grid draws a page of thumbnails as one element and reports the clicked digit,
instead of 24 images and 24 buttons that the browser would redraw on every click.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import streamlit as st
from PIL import Image

GRID_CSS = """
.grid { display: grid; grid-template-columns: repeat(var(--cols), 1fr); gap: 6px; }
.cell { border: 1px solid #ddd; border-radius: 8px; background: white; padding: 4px 2px 2px;
        cursor: pointer; display: flex; flex-direction: column; align-items: center;
        font: 12px/1.3 sans-serif; color: #444; }
.cell:hover { border-color: #d62728; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
.cell.on { border: 2px solid #d62728; background: #fde0dd; }
.cell img { width: 100%; max-width: 72px; image-rendering: pixelated; aspect-ratio: 1; }
.cell .off { color: #d62728; font-weight: 600; }
"""

GRID_JS = """
export default function(component) {
  const { data, setTriggerValue, parentElement } = component;
  let root = parentElement.querySelector('.grid');
  if (!root) {
    root = document.createElement('div');
    root.className = 'grid';
    parentElement.appendChild(root);
  }
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
    grey = (255 * (1 - np.clip(image, 0, 1))).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(grey, mode="L").save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def digit_grid(cells: list[dict], selected: int, columns: int, key: str, on_click) -> None:
    """``cells``: [{"index", "src", "label", "differ", "title"}]; ``on_click`` reads
    ``st.session_state[key]["clicked"]``."""
    _grid(data={"cells": cells, "selected": int(selected), "columns": columns}, key=key,
          on_clicked_change=on_click)
