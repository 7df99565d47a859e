/** Local model files: what a drop contains, and whether they are a checkpoint that needs converting. */

/** Files of a drop, folders walked recursively (names keep their folder path). */
export async function droppedFiles(data: DataTransfer | null): Promise<File[]> {
  if (!data) return [];
  const entries = [...data.items]
    .map((item) => item.webkitGetAsEntry?.())
    .filter((entry): entry is FileSystemEntry => !!entry);
  if (entries.length === 0) return [...data.files];
  const files: File[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      files.push(new File([file], `${prefix}${file.name}`, { type: file.type }));
      return;
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
    }
  };
  for (const entry of entries) await walk(entry, '');
  return files;
}

/** Checkpoint files and no ONNX graph: the files need converting first. */
export function isCheckpoint(names: readonly string[]): boolean {
  const hasOnnx = names.some((n) => /(^|\/)onnx\/[^/]+\.onnx$/.test(n) || n.endsWith('.onnx'));
  const hasWeights = names.some((n) => /(pytorch_model\.bin|\.safetensors|\.tar\.gz|\.tgz|\.tar|\.pt|\.pth)$/.test(n));
  return hasWeights && !hasOnnx;
}
