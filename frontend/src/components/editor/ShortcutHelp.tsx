import { Modal } from "../ui/Modal";

export const SHORTCUTS: [string, string][] = [
  ["Ctrl+Z", "Undo"],
  ["Ctrl+Shift+Z / Ctrl+Y", "Redo"],
  ["Ctrl+C / Ctrl+V", "Copy / paste the selected nodes"],
  ["Delete / Backspace", "Delete the selected nodes and connections"],
  ["Ctrl+A", "Select every node"],
  ["Shift+drag, Shift+click", "Select several nodes"],
  ["Ctrl+S", "Save a new version"],
  ["L", "Auto-layout"],
  ["F", "Zoom to fit"],
  ["/", "Search the palette"],
  ["Esc", "Clear the selection / leave a block"],
  ["?", "This help"],
];

export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose}>
      <table className="table compact">
        <tbody>
          {SHORTCUTS.map(([keys, what]) => (
            <tr key={keys}><td><kbd>{keys}</kbd></td><td>{what}</td></tr>
          ))}
        </tbody>
      </table>
      <p className="muted">Drag a layer from the palette onto the canvas (or double-click it), then drag from an output port to an input port to connect.</p>
    </Modal>
  );
}
