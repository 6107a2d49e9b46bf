/**
 * Guards the snapshots against a read that raced a local write. The change
 * feed re-reads rows; a read that started before this process applied its
 * own newer write may return the older row, and must not overwrite the newer
 * entry (the write's own change comes through the feed afterwards and is read then).
 */
export class WriteFence {
  private seq = 0;
  private readonly lastWrite = new Map<string, number>();

  /** Take before a read: writes noted after it are the ones the read may have missed. */
  mark(): number {
    return this.seq;
  }

  noteWrite(serverId: string, name: string): void {
    this.lastWrite.set(serverId + '\0' + name, ++this.seq);
    if (this.lastWrite.size > 10_000) {
      // Only writes newer than a read in flight matter; old ones can go.
      const cutoff = this.seq - 5_000;
      for (const [key, at] of this.lastWrite) if (at < cutoff) this.lastWrite.delete(key);
    }
  }

  /** Names of a server written by this process since `mark`. */
  writtenSince(serverId: string, mark: number): Set<string> {
    const names = new Set<string>();
    if (this.seq === mark) return names;
    const prefix = serverId + '\0';
    for (const [key, at] of this.lastWrite) {
      if (at > mark && key.startsWith(prefix)) names.add(key.slice(prefix.length));
    }
    return names;
  }
}
