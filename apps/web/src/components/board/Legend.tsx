// The legend of booking colours and the unavailable shading.
export function Legend() {
  const items = [
    ["hold", "Hold"],
    ["pencil", "Pencil"],
    ["confirmed", "Confirmed"],
    ["unavailable", "Unavailable"],
  ] as const;
  return (
    <ul class="legend" data-testid="legend" aria-label="Legend">
      {items.map(([key, label]) => (
        <li key={key}>
          <span class={`swatch swatch-${key}`} aria-hidden="true" />
          {label}
        </li>
      ))}
    </ul>
  );
}
