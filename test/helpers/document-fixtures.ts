import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun } from 'docx';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { renderPageAsImage } from 'unpdf';

/** A two-page PDF with a title, section headings and body text (a real text layer). */
export async function createReportPdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle('Annual Report 2026');
  const regular = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  const first = pdf.addPage([612, 792]);
  first.drawText('Annual Report', { x: 72, y: 700, size: 26, font: bold });
  first.drawText('Introduction', { x: 72, y: 640, size: 18, font: bold });
  first.drawText('The company grew steadily during the year.', { x: 72, y: 610, size: 12, font: regular });
  first.drawText('Customers in three new countries joined the platform.', { x: 72, y: 595, size: 12, font: regular });
  const second = pdf.addPage([612, 792]);
  second.drawText('Results', { x: 72, y: 700, size: 18, font: bold });
  second.drawText('Revenue rose by twelve percent compared with last year.', { x: 72, y: 670, size: 12, font: regular });
  return pdf.save();
}

/** A PNG of a page of text, rendered from a PDF (what a scanner would produce). */
export async function createTextImage(lines: string[]): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const page = pdf.addPage([612, 300]);
  lines.forEach((line, index) => page.drawText(line, { x: 40, y: 240 - index * 40, size: index === 0 ? 28 : 16, font }));
  const image = await renderPageAsImage(await pdf.save(), 1, { canvasImport: () => import('@napi-rs/canvas'), scale: 2 });
  return new Uint8Array(image);
}

/** A PDF whose only page is an image of text: no text layer at all. */
export async function createScannedPdf(lines: string[]): Promise<Uint8Array> {
  const png = await createTextImage(lines);
  const pdf = await PDFDocument.create();
  const image = await pdf.embedPng(png);
  const page = pdf.addPage([612, 300]);
  page.drawImage(image, { x: 0, y: 0, width: 612, height: 300 });
  return pdf.save();
}

/** A DOCX with a heading, a bulleted list and a table. */
export async function createDocx(): Promise<Uint8Array> {
  const document = new Document({
    sections: [
      {
        children: [
          new Paragraph({ text: 'Project Plan', heading: HeadingLevel.HEADING_1 }),
          new Paragraph({ children: [new TextRun('The plan has three steps.')] }),
          new Paragraph({ text: 'Gather requirements', bullet: { level: 0 } }),
          new Paragraph({ text: 'Build the service', bullet: { level: 0 } }),
          new Table({
            rows: [
              new TableRow({ children: [new TableCell({ children: [new Paragraph('Step')] }), new TableCell({ children: [new Paragraph('Owner')] })] }),
              new TableRow({ children: [new TableCell({ children: [new Paragraph('Build')] }), new TableCell({ children: [new Paragraph('Ada')] })] }),
            ],
          }),
        ],
      },
    ],
  });
  return new Uint8Array(await Packer.toBuffer(document));
}
