package plots

import (
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// Display shows ch inline in a GoNB notebook as a PNG at its preferred
// size. Outside a notebook it renders and returns render errors only.
func Display(ch Chart) error {
	png, err := Render(ch, "png", 0, 0)
	if err != nil {
		return err
	}
	gonbui.DisplayPNG(png)
	return nil
}

// DisplaySVG shows ch inline as a real image/svg+xml output (sharp at any
// zoom; gonbui.DisplaySVG would wrap it in HTML instead).
func DisplaySVG(ch Chart) error {
	svg, err := Render(ch, "svg", 0, 0)
	if err != nil {
		return err
	}
	if gonbui.IsNotebook {
		gonbui.SendData(&protocol.DisplayData{Data: map[protocol.MIMEType]any{protocol.MIMEImageSVG: string(svg)}})
	}
	return nil
}

// DisplayTable shows t inline as an HTML table.
func DisplayTable(t *Table) {
	gonbui.DisplayHTML(t.HTML())
}
