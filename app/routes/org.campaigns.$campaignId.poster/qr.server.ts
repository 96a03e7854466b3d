import QRCode from "qrcode";

/**
 * A QR code as an SVG of plain paths (no style attributes or scripts), so the CSP allows it
 * inline. Server-only: the qrcode package is CommonJS and would otherwise ship to browsers.
 */
export function qrCodeSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
}
