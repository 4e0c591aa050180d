package main

// A minimal MongoDB wire-protocol client: one OP_MSG {ping: 1, $db: "admin"} and a check that the
// reply says ok: 1. It lets `scripts/services` prove the server answers commands (not just that the
// port is open) without needing Node.js, mongosh or a Go MongoDB driver.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"time"
)

const opMsg = 2013

func ping(addr string, timeout time.Duration) error {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}

	// BSON document {ping: int32(1), $db: "admin"}.
	var doc bytes.Buffer
	doc.WriteByte(0x10) // int32
	doc.WriteString("ping\x00")
	_ = binary.Write(&doc, binary.LittleEndian, int32(1))
	doc.WriteByte(0x02) // string
	doc.WriteString("$db\x00")
	_ = binary.Write(&doc, binary.LittleEndian, int32(len("admin")+1))
	doc.WriteString("admin\x00")
	doc.WriteByte(0x00)
	body := make([]byte, 4, 4+doc.Len())
	binary.LittleEndian.PutUint32(body, uint32(4+doc.Len()))
	body = append(body, doc.Bytes()...)

	// Header (length, requestID, responseTo, opCode), flagBits, section kind 0, document.
	msg := make([]byte, 0, 21+len(body))
	msg = binary.LittleEndian.AppendUint32(msg, uint32(16+4+1+len(body)))
	msg = binary.LittleEndian.AppendUint32(msg, 1)
	msg = binary.LittleEndian.AppendUint32(msg, 0)
	msg = binary.LittleEndian.AppendUint32(msg, opMsg)
	msg = binary.LittleEndian.AppendUint32(msg, 0)
	msg = append(msg, 0)
	msg = append(msg, body...)
	if _, err := conn.Write(msg); err != nil {
		return err
	}

	header := make([]byte, 16)
	if _, err := io.ReadFull(conn, header); err != nil {
		return err
	}
	length := binary.LittleEndian.Uint32(header[0:4])
	if opCode := binary.LittleEndian.Uint32(header[12:16]); opCode != opMsg || length < 21 || length > 16<<20 {
		return fmt.Errorf("unexpected reply: opCode %d, length %d", opCode, length)
	}
	rest := make([]byte, length-16)
	if _, err := io.ReadFull(conn, rest); err != nil {
		return err
	}
	if rest[4] != 0 {
		return fmt.Errorf("unexpected section kind %d", rest[4])
	}
	ok, err := okField(rest[5:])
	if err != nil {
		return err
	}
	if ok != 1 {
		return fmt.Errorf("reply has ok: %v", ok)
	}
	return nil
}

// okField walks the top level of a BSON document and returns the numeric value of "ok".
func okField(doc []byte) (float64, error) {
	if len(doc) < 5 {
		return 0, errors.New("short document")
	}
	end := int(binary.LittleEndian.Uint32(doc[0:4]))
	if end > len(doc) {
		return 0, errors.New("truncated document")
	}
	for i := 4; i < end-1; {
		typ := doc[i]
		i++
		nameEnd := bytes.IndexByte(doc[i:end], 0)
		if nameEnd < 0 {
			return 0, errors.New("bad element name")
		}
		name := string(doc[i : i+nameEnd])
		i += nameEnd + 1
		var size int
		switch typ {
		case 0x01, 0x09, 0x11, 0x12: // double, datetime, timestamp, int64
			size = 8
		case 0x10: // int32
			size = 4
		case 0x08: // bool
			size = 1
		case 0x0A: // null
			size = 0
		case 0x07: // ObjectId
			size = 12
		case 0x13: // decimal128
			size = 16
		case 0x02: // string: int32 length + bytes
			size = 4 + int(binary.LittleEndian.Uint32(doc[i:i+4]))
		case 0x03, 0x04: // document, array: int32 total length
			size = int(binary.LittleEndian.Uint32(doc[i : i+4]))
		case 0x05: // binary: int32 length + subtype + bytes
			size = 5 + int(binary.LittleEndian.Uint32(doc[i:i+4]))
		default:
			return 0, fmt.Errorf("unsupported BSON type 0x%02x in reply", typ)
		}
		if i+size > end {
			return 0, errors.New("truncated element")
		}
		if name == "ok" {
			switch typ {
			case 0x01:
				return math.Float64frombits(binary.LittleEndian.Uint64(doc[i : i+8])), nil
			case 0x10:
				return float64(int32(binary.LittleEndian.Uint32(doc[i : i+4]))), nil
			case 0x12:
				return float64(int64(binary.LittleEndian.Uint64(doc[i : i+8]))), nil
			}
			return 0, fmt.Errorf("ok has BSON type 0x%02x", typ)
		}
		i += size
	}
	return 0, errors.New(`reply has no "ok" field`)
}
