import { Link } from "@react-email/link";
import { Text } from "@react-email/text";
import { styles } from "./layout.tsx";

/** The one-click way out that every nudge email carries, next to the List-Unsubscribe header. */
export function UnsubscribeLine({ href }: { href: string | null }) {
  if (!href) return null;
  return (
    <Text style={styles.small}>
      Too many emails? <Link href={href}>Stop emails from Onward</Link>. You can turn them back on
      from the same page.
    </Text>
  );
}
