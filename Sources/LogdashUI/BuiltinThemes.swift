// The built-in themes, the same text as the files in themes/ (a test keeps them equal):
// the binary must not depend on finding the repository's files at run time.
extension Theme {
    static let builtinSources: [(name: String, yaml: String)] = [
        ("dark", #"""
# logdash's default theme: for dark terminals. Colours: default, a name (black, red, green,
# yellow, blue, magenta, cyan, white, bright-*), a 256-colour index, or #rrggbb.
name: dark
colors:
  text: default
  dim: bright-black
  accent: cyan
  border: blue
  border.focused: bright-cyan
  selection: yellow
  status: cyan
  error: bright-red
  level.trace: bright-black
  level.debug: blue
  level.info: green
  level.notice: cyan
  level.warn: yellow
  level.error: red
  level.critical: magenta
  level.fatal: bright-red
  field.key: bright-blue
  field.number: magenta
  field.string: bright-green
  field.ip: bright-cyan
  chart.series1: cyan
  chart.series2: yellow
  chart.series3: magenta
  chart.series4: green
  chart.series5: blue
  chart.series6: red
  chart.series7: bright-cyan
  chart.series8: bright-yellow
  alarm.ok: green
  alarm.alarm: bright-red
  alarm.insufficient: bright-black

"""#),
        ("light", #"""
# For light terminal backgrounds: darker colours, no bright yellow.
name: light
colors:
  text: default
  dim: 244
  accent: 25
  border: 25
  border.focused: 27
  selection: 130
  status: 25
  error: 160
  level.trace: 244
  level.debug: 25
  level.info: 28
  level.notice: 30
  level.warn: 130
  level.error: 160
  level.critical: 127
  level.fatal: 124
  field.key: 25
  field.number: 90
  field.string: 28
  field.ip: 30
  chart.series1: 25
  chart.series2: 130
  chart.series3: 127
  chart.series4: 28
  chart.series5: 30
  chart.series6: 160
  chart.series7: 94
  chart.series8: 60
  alarm.ok: 28
  alarm.alarm: 160
  alarm.insufficient: 244

"""#),
        ("solarized-dark", #"""
# Ethan Schoonover's Solarized, dark.
name: solarized-dark
colors:
  text: "#839496"
  dim: "#586e75"
  accent: "#268bd2"
  border: "#073642"
  border.focused: "#268bd2"
  selection: "#b58900"
  status: "#2aa198"
  error: "#dc322f"
  level.trace: "#586e75"
  level.debug: "#268bd2"
  level.info: "#859900"
  level.notice: "#2aa198"
  level.warn: "#b58900"
  level.error: "#dc322f"
  level.critical: "#d33682"
  level.fatal: "#cb4b16"
  field.key: "#268bd2"
  field.number: "#d33682"
  field.string: "#2aa198"
  field.ip: "#6c71c4"
  chart.series1: "#268bd2"
  chart.series2: "#b58900"
  chart.series3: "#d33682"
  chart.series4: "#859900"
  chart.series5: "#2aa198"
  chart.series6: "#dc322f"
  chart.series7: "#6c71c4"
  chart.series8: "#cb4b16"
  alarm.ok: "#859900"
  alarm.alarm: "#dc322f"
  alarm.insufficient: "#586e75"

"""#),
        ("nord", #"""
# Arctic Ice Studio's Nord palette.
name: nord
colors:
  text: "#d8dee9"
  dim: "#4c566a"
  accent: "#88c0d0"
  border: "#434c5e"
  border.focused: "#88c0d0"
  selection: "#ebcb8b"
  status: "#81a1c1"
  error: "#bf616a"
  level.trace: "#4c566a"
  level.debug: "#5e81ac"
  level.info: "#a3be8c"
  level.notice: "#8fbcbb"
  level.warn: "#ebcb8b"
  level.error: "#bf616a"
  level.critical: "#b48ead"
  level.fatal: "#d08770"
  field.key: "#81a1c1"
  field.number: "#b48ead"
  field.string: "#a3be8c"
  field.ip: "#88c0d0"
  chart.series1: "#88c0d0"
  chart.series2: "#ebcb8b"
  chart.series3: "#b48ead"
  chart.series4: "#a3be8c"
  chart.series5: "#5e81ac"
  chart.series6: "#bf616a"
  chart.series7: "#8fbcbb"
  chart.series8: "#d08770"
  alarm.ok: "#a3be8c"
  alarm.alarm: "#bf616a"
  alarm.insufficient: "#4c566a"

"""#),
        ("high-contrast", #"""
# The brightest basic colours only, for low-quality screens and projectors.
name: high-contrast
colors:
  text: bright-white
  dim: white
  accent: bright-cyan
  border: bright-white
  border.focused: bright-yellow
  selection: bright-yellow
  status: bright-white
  error: bright-red
  level.trace: white
  level.debug: bright-blue
  level.info: bright-green
  level.notice: bright-cyan
  level.warn: bright-yellow
  level.error: bright-red
  level.critical: bright-magenta
  level.fatal: bright-red
  field.key: bright-blue
  field.number: bright-magenta
  field.string: bright-green
  field.ip: bright-cyan
  chart.series1: bright-cyan
  chart.series2: bright-yellow
  chart.series3: bright-magenta
  chart.series4: bright-green
  chart.series5: bright-blue
  chart.series6: bright-red
  chart.series7: bright-white
  chart.series8: white
  alarm.ok: bright-green
  alarm.alarm: bright-red
  alarm.insufficient: white

"""#),
        ("monochrome", #"""
# No colour at all: every role in the terminal's own colours (bold, dim and reverse remain).
name: monochrome
colors:
  text: default
  dim: default
  accent: default
  border: default
  border.focused: default
  selection: default
  status: default
  error: default
  level.trace: default
  level.debug: default
  level.info: default
  level.notice: default
  level.warn: default
  level.error: default
  level.critical: default
  level.fatal: default
  field.key: default
  field.number: default
  field.string: default
  field.ip: default
  chart.series1: default
  chart.series2: default
  chart.series3: default
  chart.series4: default
  chart.series5: default
  chart.series6: default
  chart.series7: default
  chart.series8: default
  alarm.ok: default
  alarm.alarm: default
  alarm.insufficient: default

"""#),
    ]
}
